using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace Estuary.Monitoring.Bench;

/// <summary>
/// The OpenTelemetry pipeline of a worker process, built by the service defaults (<c>ConfigureOpenTelemetry</c>) as
/// <c>AddServiceDefaults</c> builds it, exporting over OTLP/gRPC to the bench's receiver with the settings the
/// Aspire AppHost gives a resource in development (<see cref="Settings"/>): logs (scopes included) and spans through
/// the batching processors, metrics through the periodic reader. One per process, as a worker has one.
/// </summary>
internal sealed class MonitoringPipeline : IAsyncDisposable
{
    private readonly IHost _host;

    private MonitoringPipeline(IHost host) => _host = host;

    /// <summary>Gets the logger factory of the pipeline's host: what a worker's interceptors and Workflow.Logger log to.</summary>
    public ILoggerFactory LoggerFactory => _host.Services.GetRequiredService<ILoggerFactory>();

    /// <summary>The configuration a worker exports with: the sink as its OTLP endpoint, and the batch and export
    /// intervals, sampler and exemplar filter the Aspire AppHost sets in development; log levels as Estuary's workers'
    /// appsettings.json.</summary>
    /// <param name="sink">The receiver's endpoint.</param>
    /// <returns>Configuration keys and values.</returns>
    public static Dictionary<string, string?> Settings(string sink) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
        ["OTEL_METRICS_EXEMPLAR_FILTER"] = "trace_based",
        ["OTEL_SERVICE_NAME"] = "monitoring-bench",
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Warning",
    };

    /// <summary>Adds the logging levels of <see cref="Settings"/> and the service defaults' OpenTelemetry to a host.</summary>
    /// <param name="builder">A host builder whose configuration holds <see cref="Settings"/>.</param>
    public static void AddTo(HostApplicationBuilder builder)
    {
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.ConfigureOpenTelemetry();
    }

    /// <summary>Exports the spans and log records a host's batching processors hold and waits until the receiver has
    /// answered, so a round with monitoring on pays for exporting its own telemetry rather than the round after it.</summary>
    /// <param name="services">The services of a host with the pipeline (<see cref="AddTo"/>).</param>
    /// <returns>When both are exported.</returns>
    public static Task FlushAsync(IServiceProvider services) => Task.Run(() =>
    {
        services.GetService<TracerProvider>()?.ForceFlush();
        services.GetService<LoggerProvider>()?.ForceFlush();
    });

    /// <summary>Exports what this pipeline's batching processors hold (<see cref="FlushAsync(IServiceProvider)"/>).</summary>
    /// <returns>When it is exported.</returns>
    public Task FlushAsync() => FlushAsync(_host.Services);

    public static async Task<MonitoringPipeline> StartAsync(string sink)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "monitoring-bench" });
        builder.Configuration.AddInMemoryCollection(Settings(sink));
        AddTo(builder);
        var host = builder.Build();
        await host.StartAsync();
        return new MonitoringPipeline(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
