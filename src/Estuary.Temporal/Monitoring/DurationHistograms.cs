using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// The bucket boundaries, in seconds, of the duration histograms of <see cref="EstuaryTelemetry.Name"/> and
/// <see cref="EstuaryTelemetry.SdkMeterName"/>: <see cref="EstuaryTelemetry.DurationBoundaries"/> unless the section
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
    /// meter, the configured ones or <see cref="EstuaryTelemetry.DurationBoundaries"/>; otherwise <c>null</c>.</summary>
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

        return _configured.TryGetValue(instrument.Name, out var boundaries) ? boundaries : [.. EstuaryTelemetry.DurationBoundaries];
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
