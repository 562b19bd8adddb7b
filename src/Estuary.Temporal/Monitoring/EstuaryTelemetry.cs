using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// The telemetry hooks of Estuary's workflows and activities: one <see cref="System.Diagnostics.Metrics.Meter"/> fed by
/// the <see cref="MonitoringInterceptor"/> and one <see cref="System.Diagnostics.ActivitySource"/> fed by the
/// <see cref="Tracing.TracingInterceptor"/>, both named <see cref="Name"/>, and the meter <see cref="SdkMeterName"/> of the
/// Temporal SDK's own metrics (<see cref="TemporalSdkMetrics"/>). Add them to OpenTelemetry with
/// <c>AddMeter(EstuaryTelemetry.Name, EstuaryTelemetry.SdkMeterName)</c> and <c>AddSource(EstuaryTelemetry.Name)</c>.
/// </summary>
public static class EstuaryTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "Estuary.Temporal";

    /// <summary>The name of the meter bridging the Temporal SDK's own metrics.</summary>
    public const string SdkMeterName = "Estuary.Temporal.Sdk";

    /// <summary>Gets the activity source of every client, workflow and activity span.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    /// <summary>Gets the meter.</summary>
    public static Meter Meter { get; } = new(Name);

    /// <summary>Gets the meter of the Temporal SDK's own metrics.</summary>
    public static Meter SdkMeter { get; } = new(SdkMeterName);

    /// <summary>Gets the count of started executions, tagged <c>estuary.kind</c> (workflow or activity), <c>estuary.domain</c>, <c>estuary.type</c>.</summary>
    public static Counter<long> Started { get; } = Meter.CreateCounter<long>(InstrumentNames.Started, description: "Workflow and activity executions started.");

    /// <summary>Gets the count of executions that completed, with the tags of <see cref="Started"/>.</summary>
    public static Counter<long> Completed { get; } = Meter.CreateCounter<long>(InstrumentNames.Completed, description: "Workflow and activity executions completed.");

    /// <summary>Gets the count of executions that failed or were canceled, with the tags of <see cref="Started"/> and <c>estuary.outcome</c>.</summary>
    public static Counter<long> Failed { get; } = Meter.CreateCounter<long>(InstrumentNames.Failed, description: "Workflow and activity executions failed or canceled.");

    /// <summary>Gets the duration of executions in seconds, with the tags of <see cref="Started"/> and <c>estuary.outcome</c>.</summary>
    public static Histogram<double> Duration { get; } = Meter.CreateHistogram<double>(InstrumentNames.Duration, unit: "s", description: "Duration of workflow and activity executions.");

    /// <summary>The names of the instruments on <see cref="Meter"/>.</summary>
    public static class InstrumentNames
    {
        /// <summary>The name of <see cref="Started"/>.</summary>
        public const string Started = "estuary.executions.started";

        /// <summary>The name of <see cref="Completed"/>.</summary>
        public const string Completed = "estuary.executions.completed";

        /// <summary>The name of <see cref="Failed"/>.</summary>
        public const string Failed = "estuary.executions.failed";

        /// <summary>The name of <see cref="Duration"/>.</summary>
        public const string Duration = "estuary.executions.duration";
    }
}
