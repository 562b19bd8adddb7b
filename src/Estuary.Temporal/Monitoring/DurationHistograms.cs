using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// The bucket boundaries, in seconds, of the duration histograms of <see cref="EstuaryTelemetry.Name"/> and
/// <see cref="EstuaryTelemetry.SdkMeterName"/>: <see cref="DefaultBoundaries"/> unless the section
/// <c>Estuary:Telemetry:Histograms</c> sets other ones for an instrument, as a list
/// (<c>…:estuary.executions.duration:Boundaries:0=0.01</c>, <c>…:1=0.1</c>) or comma-separated
/// (<c>…:temporal_activity_execution_latency:Boundaries=0.01,0.1,1</c>).
/// </summary>
public sealed class DurationHistograms
{
    /// <summary>The configuration section read.</summary>
    public const string SectionName = "Estuary:Telemetry:Histograms";

    /// <summary>The key, under an instrument's section, of its boundaries.</summary>
    public const string BoundariesKey = "Boundaries";

    /// <summary>
    /// Gets the default bucket boundaries, in seconds, of every duration histogram of <see cref="EstuaryTelemetry.Name"/>
    /// and <see cref="EstuaryTelemetry.SdkMeterName"/>: from a millisecond (an activity that reads one row) to a day (a
    /// workflow waiting for people), denser where activities and workflow tasks fall. OpenTelemetry's own default (0 to
    /// 10,000, made for milliseconds) would put every duration under 5 s into its first buckets.
    /// </summary>
    /// <remarks>
    /// They are kept here, not on <see cref="EstuaryTelemetry"/>: a meter provider started before the first execution
    /// runs <see cref="BoundariesOf"/> for <see cref="EstuaryTelemetry.Duration"/> while <see cref="EstuaryTelemetry"/>'s
    /// type initializer is still creating its instruments, when its later static properties are still unset.
    /// </remarks>
    public static IReadOnlyList<double> DefaultBoundaries { get; } =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400];

    // The Temporal SDK names its instruments itself; all of them start so.
    private const string SdkInstrumentPrefix = "temporal_";

    private readonly Dictionary<string, double[]> _configured;

    private DurationHistograms(Dictionary<string, double[]> configured) => _configured = configured;

    /// <summary>Reads and checks the configured boundaries.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <returns>The histograms' boundaries.</returns>
    /// <exception cref="InvalidOperationException">A value is invalid; the message names the configuration key.</exception>
    public static DurationHistograms FromConfiguration(IConfiguration configuration)
    {
        var configured = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var instrument in configuration.GetSection(SectionName).GetChildren())
        {
            if (instrument.Key != EstuaryTelemetry.InstrumentNames.Duration && !instrument.Key.StartsWith(SdkInstrumentPrefix, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"Configuration key '{instrument.Path}' names no duration histogram: Estuary's is '{EstuaryTelemetry.InstrumentNames.Duration}', the Temporal SDK's start with '{SdkInstrumentPrefix}'.");
            }

            if (instrument.GetChildren().FirstOrDefault(c => c.Key != BoundariesKey) is { } unknown)
            {
                throw new InvalidOperationException($"Configuration key '{unknown.Path}' is not known: an instrument's section holds only '{BoundariesKey}'.");
            }

            configured[instrument.Key] = ReadBoundaries(instrument.GetSection(BoundariesKey));
        }

        return new DurationHistograms(configured);
    }

    /// <summary>Gets the boundaries of an instrument: for a duration histogram (unit <c>s</c>) of Estuary's or the SDK's
    /// meter, the configured ones or <see cref="DefaultBoundaries"/>; otherwise <c>null</c>.</summary>
    /// <param name="instrument">An instrument being published.</param>
    /// <returns>Its boundaries, or <c>null</c> when it is not one of these histograms.</returns>
    public double[]? BoundariesOf(Instrument instrument)
    {
        var meter = instrument.Meter.Name;
        if (meter is not (EstuaryTelemetry.Name or EstuaryTelemetry.SdkMeterName) || instrument.Unit != "s"
            || instrument is not (Histogram<double> or Histogram<long>))
        {
            return null;
        }

        return _configured.TryGetValue(instrument.Name, out var boundaries) ? boundaries : [.. DefaultBoundaries];
    }

    private static double[] ReadBoundaries(IConfigurationSection section)
    {
        var entries = section.Value is { } list
            ? list.Split(',', StringSplitOptions.TrimEntries).Select(text => (section.Path, Text: text))
            : section.GetChildren().Select(c => (c.Path, Text: c.Value ?? string.Empty));
        var boundaries = new List<double>();
        foreach (var (path, text) in entries)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var boundary) || !double.IsFinite(boundary))
            {
                throw new InvalidOperationException($"Configuration key '{path}' must hold numbers of seconds, got '{text}'.");
            }

            if (boundaries.Count > 0 && boundary <= boundaries[^1])
            {
                throw new InvalidOperationException(
                    $"Configuration key '{section.Path}' must list boundaries in increasing order, got {boundary.ToString(CultureInfo.InvariantCulture)} after {boundaries[^1].ToString(CultureInfo.InvariantCulture)}.");
            }

            boundaries.Add(boundary);
        }

        return boundaries.Count > 0
            ? [.. boundaries]
            : throw new InvalidOperationException($"Configuration key '{section.Path}' must list at least one boundary.");
    }
}
