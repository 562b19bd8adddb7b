using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Temporalio.Runtime;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// Sends the log lines of the Temporal SDK's core (its Rust part: poll failures, a server gone, workers starting and
/// stopping) through the host's logging under the category <see cref="Category"/>, so they reach the host's providers
/// (the OpenTelemetry export, the console) with its levels and scopes, instead of the process's standard output.
/// </summary>
public static class TemporalCoreLogs
{
    /// <summary>The logger category of the core's lines; <c>Logging:LogLevel:Temporalio.Core</c> sets its level.</summary>
    public const string Category = "Temporalio.Core";

    /// <summary>The category's level when configuration does not name it: the core's warnings and errors.</summary>
    public const LogLevel DefaultLevel = LogLevel.Warning;

    /// <summary>Makes <see cref="DefaultLevel"/> the level of <see cref="Category"/> unless configuration names one:
    /// the rule goes before configuration's rules, and of two rules for the same category the later wins.</summary>
    /// <param name="services">The host's services.</param>
    public static void AddDefaultLevel(IServiceCollection services) =>
        services.Configure<LoggerFilterOptions>(options => options.Rules.Insert(0, new LoggerFilterRule(null, Category, DefaultLevel, null)));

    /// <summary>
    /// Runtime options that forward the core's lines to <paramref name="loggerFactory"/>. The core filters before
    /// forwarding with a level fixed when the runtime is created: the lowest level the category's logger has enabled
    /// then. A level lowered later takes effect at the next start; a level raised later filters at once.
    /// </summary>
    /// <param name="options">The runtime options otherwise (metrics); not changed.</param>
    /// <param name="loggerFactory">The logger factory of the host the runtime belongs to.</param>
    /// <returns>A copy of <paramref name="options"/> with logging forwarded.</returns>
    public static TemporalRuntimeOptions ForwardTo(TemporalRuntimeOptions options, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger(Category);
        var forwarding = (TemporalRuntimeOptions)options.Clone();
        forwarding.Telemetry.Logging = new LoggingOptions(new TelemetryFilterOptions(core: CoreLevel(logger)))
        {
            Forwarding = new LogForwardingOptions(logger),
        };
        return forwarding;
    }

    private static TelemetryFilterOptions.Level CoreLevel(ILogger logger) =>
        logger.IsEnabled(LogLevel.Trace) ? TelemetryFilterOptions.Level.Trace
        : logger.IsEnabled(LogLevel.Debug) ? TelemetryFilterOptions.Level.Debug
        : logger.IsEnabled(LogLevel.Information) ? TelemetryFilterOptions.Level.Info
        : logger.IsEnabled(LogLevel.Warning) ? TelemetryFilterOptions.Level.Warn
        : TelemetryFilterOptions.Level.Error;
}
