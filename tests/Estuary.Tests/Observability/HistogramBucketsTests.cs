using Estuary.Temporal.Monitoring;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace Estuary.Tests.Observability;

/// <summary>The bucket boundaries the service defaults give duration histograms, and their configuration.</summary>
public sealed class HistogramBucketsTests
{
    private const string DurationBoundariesKey = $"{DurationHistograms.SectionName}:{EstuaryTelemetry.InstrumentNames.Duration}:{DurationHistograms.BoundariesKey}";

    // Run first in its process (alone, say), this test also covers a meter provider that is listening before
    // EstuaryTelemetry's instruments are created: the view then runs inside EstuaryTelemetry's type initializer.
    [Fact]
    public async Task ConfigureOpenTelemetry_NothingConfigured_ExecutionDurationsExportedInTheDefaultBuckets()
    {
        var bounds = await ExportedBoundsAsync(new Dictionary<string, string?>());

        Assert.Equal(DurationHistograms.DefaultBoundaries, bounds);
        Assert.Equal([0.001, 86400], [bounds[0], bounds[^1]]);
    }

    [Fact]
    public async Task ConfigureOpenTelemetry_BoundariesConfiguredAsAList_ExecutionDurationsExportedInThoseBuckets()
    {
        var bounds = await ExportedBoundsAsync(new Dictionary<string, string?>
        {
            [$"{DurationBoundariesKey}:0"] = "0.5",
            [$"{DurationBoundariesKey}:1"] = "2",
            [$"{DurationBoundariesKey}:2"] = "1e3",
        });

        Assert.Equal([0.5, 2, 1000], bounds);
    }

    [Fact]
    public async Task ConfigureOpenTelemetry_BoundariesConfiguredCommaSeparated_ExecutionDurationsExportedInThoseBuckets()
    {
        var bounds = await ExportedBoundsAsync(new Dictionary<string, string?> { [DurationBoundariesKey] = "0.25, 4,60" });

        Assert.Equal([0.25, 4, 60], bounds);
    }

    [Theory]
    [InlineData(DurationBoundariesKey, "1,0.5", $"Configuration key '{DurationBoundariesKey}' must list boundaries in increasing order, got 0.5 after 1.")]
    [InlineData(DurationBoundariesKey, "1,1", $"Configuration key '{DurationBoundariesKey}' must list boundaries in increasing order, got 1 after 1.")]
    [InlineData(DurationBoundariesKey, "0.1,fast", $"Configuration key '{DurationBoundariesKey}' must hold numbers of seconds, got 'fast'.")]
    [InlineData($"{DurationBoundariesKey}:1", "NaN", $"Configuration key '{DurationBoundariesKey}:1' must hold numbers of seconds, got 'NaN'.")]
    [InlineData($"{DurationHistograms.SectionName}:estuary.executions.durations:Boundaries", "1", $"Configuration key '{DurationHistograms.SectionName}:estuary.executions.durations' names no duration histogram: Estuary's is 'estuary.executions.duration', the Temporal SDK's start with 'temporal_'.")]
    [InlineData($"{DurationHistograms.SectionName}:temporal_activity_execution_latency:Bounds", "1", $"Configuration key '{DurationHistograms.SectionName}:temporal_activity_execution_latency:Bounds' is not known: an instrument's section holds only 'Boundaries'.")]
    public void ConfigureOpenTelemetry_InvalidBoundaries_FailsNamingTheKey(string key, string value, string message)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });

        var error = Assert.Throws<InvalidOperationException>(() => builder.ConfigureOpenTelemetry());

        Assert.Equal(message, error.Message);
    }

    // The histogram's bounds as exported (the last bucket, to +infinity, left out) after one measurement of Estuary's
    // duration histogram, through the service defaults' pipeline configured by the given settings.
    private static async Task<IReadOnlyList<double>> ExportedBoundsAsync(Dictionary<string, string?> settings)
    {
        var exported = new List<Metric>();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.ConfigureOpenTelemetry();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddInMemoryExporter(exported));
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var kind = $"histogram-test-{Guid.NewGuid():N}";

        EstuaryTelemetry.Duration.Record(1.5, new KeyValuePair<string, object?>("estuary.kind", kind));

        host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        return BoundsOf(Assert.Single(exported, m => m.Name == EstuaryTelemetry.InstrumentNames.Duration), kind);
    }

    private static List<double> BoundsOf(Metric metric, string kind)
    {
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            foreach (var tag in point.Tags)
            {
                if (tag.Key == "estuary.kind" && Equals(tag.Value, kind))
                {
                    var bounds = new List<double>();
                    foreach (var bucket in point.GetHistogramBuckets())
                    {
                        if (double.IsFinite(bucket.ExplicitBound))
                        {
                            bounds.Add(bucket.ExplicitBound);
                        }
                    }

                    return bounds;
                }
            }
        }

        throw new InvalidOperationException("The measurement was not exported.");
    }
}
