using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// The telemetry hooks of Estuary's workflows and activities: one <see cref="System.Diagnostics.Metrics.Meter"/> and
/// one <see cref="System.Diagnostics.ActivitySource"/>, both named <see cref="Name"/>, fed by the
/// <see cref="MonitoringInterceptor"/>. Add them to OpenTelemetry with <c>AddMeter(EstuaryTelemetry.Name)</c> and
/// <c>AddSource(EstuaryTelemetry.Name)</c>.
/// </summary>
public static class EstuaryTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "Estuary.Temporal";

    /// <summary>Gets the activity source: one span per activity execution.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    /// <summary>Gets the meter.</summary>
    public static Meter Meter { get; } = new(Name);

    /// <summary>Gets the count of started executions, tagged <c>estuary.kind</c> (workflow or activity), <c>estuary.domain</c>, <c>estuary.type</c>.</summary>
    public static Counter<long> Started { get; } = Meter.CreateCounter<long>("estuary.executions.started", description: "Workflow and activity executions started.");

    /// <summary>Gets the count of executions that completed, with the tags of <see cref="Started"/>.</summary>
    public static Counter<long> Completed { get; } = Meter.CreateCounter<long>("estuary.executions.completed", description: "Workflow and activity executions completed.");

    /// <summary>Gets the count of executions that failed or were canceled, with the tags of <see cref="Started"/> and <c>estuary.outcome</c>.</summary>
    public static Counter<long> Failed { get; } = Meter.CreateCounter<long>("estuary.executions.failed", description: "Workflow and activity executions failed or canceled.");

    /// <summary>Gets the duration of executions in seconds, with the tags of <see cref="Started"/> and <c>estuary.outcome</c>.</summary>
    public static Histogram<double> Duration { get; } = Meter.CreateHistogram<double>("estuary.executions.duration", unit: "s", description: "Duration of workflow and activity executions.");
}
