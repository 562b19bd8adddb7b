using Microsoft.Extensions.Options;
using Temporalio.Common;
using Temporalio.Workflows;

namespace Estuary.Temporal.Configuration;

/// <summary>
/// The activity options a domain's workflows use unless a call overrides them (the seed's
/// <c>BaseWorkflow.execute_activity</c> defaults). Named options, one per domain: the domain's
/// <see cref="Domains.EstuaryDomain.ConfigureActivityDefaults"/> first, then the section
/// <c>Estuary:Domains:{domain}:Activities</c>.
/// </summary>
public sealed class ActivityDefaultsOptions
{
    /// <summary>Gets the configuration section of a domain's activity defaults.</summary>
    /// <param name="domain">The domain name.</param>
    /// <returns>The section path, e.g. <c>Estuary:Domains:example:Activities</c>.</returns>
    public static string SectionPath(string domain) => $"Estuary:Domains:{domain}:Activities";

    /// <summary>Gets or sets the maximum time of one attempt.</summary>
    public TimeSpan StartToCloseTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets how long an attempt may go without a heartbeat before Temporal times it out and retries it, on
    /// another worker if its own died; <see cref="TimeSpan.Zero"/> sets none. Estuary workers heartbeat every running
    /// activity by themselves (<see cref="Activities.HeartbeatInterceptor"/>), so this is how soon the activities of a
    /// crashed worker are noticed.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the wait before the first retry.</summary>
    public TimeSpan InitialInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the factor by which the wait grows after each retry.</summary>
    public double BackoffCoefficient { get; set; } = 2.0;

    /// <summary>Gets or sets the longest wait between retries.</summary>
    public TimeSpan MaximumInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets the number of attempts, the first included; 0 means unlimited.</summary>
    public int MaximumAttempts { get; set; } = 5;

    /// <summary>Gets or sets the error types (<c>ApplicationFailureException.ErrorType</c> or exception class names) never retried.</summary>
    public IList<string> NonRetryableErrorTypes { get; set; } = [];

    /// <summary>Builds the SDK's options for one activity call from these defaults.</summary>
    /// <returns>New options (start-to-close and heartbeat timeouts and retry policy set), owned by the caller.</returns>
    public ActivityOptions ToActivityOptions() => new()
    {
        StartToCloseTimeout = StartToCloseTimeout,
        HeartbeatTimeout = HeartbeatTimeout > TimeSpan.Zero ? HeartbeatTimeout : null,
        RetryPolicy = new RetryPolicy
        {
            InitialInterval = InitialInterval,
            BackoffCoefficient = (float)BackoffCoefficient,
            MaximumInterval = MaximumInterval,
            MaximumAttempts = MaximumAttempts,
            NonRetryableErrorTypes = [.. NonRetryableErrorTypes],
        },
    };

    /// <summary>Checks every value.</summary>
    /// <param name="sectionPath">The configuration section the values came from, named in the messages.</param>
    /// <returns>One message per invalid value, each naming its configuration key; empty when valid.</returns>
    public IReadOnlyList<string> Validate(string sectionPath)
    {
        var errors = new List<string>();
        if (StartToCloseTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Configuration key '{sectionPath}:StartToCloseTimeout' must be positive, got '{StartToCloseTimeout}'.");
        }

        if (HeartbeatTimeout < TimeSpan.Zero)
        {
            errors.Add($"Configuration key '{sectionPath}:HeartbeatTimeout' must be zero (none) or positive, got '{HeartbeatTimeout}'.");
        }

        if (InitialInterval <= TimeSpan.Zero)
        {
            errors.Add($"Configuration key '{sectionPath}:InitialInterval' must be positive, got '{InitialInterval}'.");
        }

        if (BackoffCoefficient < 1.0)
        {
            errors.Add($"Configuration key '{sectionPath}:BackoffCoefficient' must be at least 1, got '{BackoffCoefficient}'.");
        }

        if (MaximumInterval < InitialInterval)
        {
            errors.Add($"Configuration key '{sectionPath}:MaximumInterval' must be at least InitialInterval ({InitialInterval}), got '{MaximumInterval}'.");
        }

        if (MaximumAttempts < 0)
        {
            errors.Add($"Configuration key '{sectionPath}:MaximumAttempts' must be 0 (unlimited) or more, got '{MaximumAttempts}'.");
        }

        if (NonRetryableErrorTypes.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add($"Configuration key '{sectionPath}:NonRetryableErrorTypes' must not contain empty names.");
        }

        return errors;
    }
}

/// <summary>Validates each domain's <see cref="ActivityDefaultsOptions"/> (the option name is the domain name).</summary>
internal sealed class ActivityDefaultsOptionsValidator : IValidateOptions<ActivityDefaultsOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ActivityDefaultsOptions options)
    {
        var errors = options.Validate(ActivityDefaultsOptions.SectionPath(name ?? string.Empty));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
