using Estuary.Temporal.Domains;
using Estuary.Temporal.Monitoring;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Example;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using Temporalio.Client;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;

namespace Estuary.Tests.Observability;

/// <summary>Where a worker sends the Temporal SDK's own metrics (<see cref="SdkMetricsSetting.ConfigurationKey"/>).</summary>
[Collection(UsesTemporal.Name)]
public sealed class SdkMetricsExportTests(EndToEndFixture fixture)
{
    private readonly TelemetryCapture _capture = new();

    [Theory]
    [InlineData(null, SdkMetricsExport.Bridge)]
    [InlineData("otlp", SdkMetricsExport.Otlp)]
    [InlineData(" None ", SdkMetricsExport.None)]
    public void FromConfiguration_ValueOrNothing_ReadsItOrDefaultsToBridge(string? value, SdkMetricsExport expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [SdkMetricsSetting.ConfigurationKey] = value }).Build();

        Assert.Equal(expected, SdkMetricsSetting.FromConfiguration(configuration));
    }

    [Theory]
    [InlineData("Prometheus", null, null, null, "Configuration key 'Estuary:Telemetry:SdkMetrics' must be Bridge, Otlp, None, got 'Prometheus'.")]
    [InlineData("Otlp", null, null, null, "Configuration key 'Estuary:Telemetry:SdkMetrics' is Otlp: 'OTEL_EXPORTER_OTLP_ENDPOINT' must be an http or https URL, got ''.")]
    [InlineData("Otlp", "http://localhost:4318", "http/protobuf", null, "Configuration key 'Estuary:Telemetry:SdkMetrics' is Otlp: the Temporal SDK exports over OTLP/gRPC only, but 'OTEL_EXPORTER_OTLP_PROTOCOL' is 'http/protobuf'.")]
    [InlineData("Otlp", "http://localhost:4317", "grpc", "key", "Configuration key 'Estuary:Telemetry:SdkMetrics' is Otlp: 'OTEL_EXPORTER_OTLP_HEADERS' must be comma-separated name=value pairs, got 'key'.")]
    public void AddEstuaryWorker_InvalidSdkMetricsSettings_FailsNamingTheKey(string value, string? endpoint, string? protocol, string? headers, string message)
    {
        var builder = Builder(new()
        {
            [SdkMetricsSetting.ConfigurationKey] = value,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
            ["OTEL_EXPORTER_OTLP_HEADERS"] = headers,
        });

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddEstuaryWorker(new ExampleDomain()));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void AddEstuaryWorker_OtlpWithSdkHistogramBoundaries_FailsNamingTheBoundaries()
    {
        var builder = Builder(new()
        {
            [SdkMetricsSetting.ConfigurationKey] = "Otlp",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://localhost:4317",
            ["Estuary:Telemetry:Histograms:temporal_activity_execution_latency:Boundaries"] = "0.1,1",
        });

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddEstuaryWorker(new ExampleDomain()));

        Assert.Equal(
            "Configuration key 'Estuary:Telemetry:SdkMetrics' is Otlp: the SDK's histograms keep the SDK's own boundaries, so 'Estuary:Telemetry:Histograms:temporal_activity_execution_latency' applies only with Bridge.",
            error.Message);
    }

    [Fact]
    public async Task Run_Otlp_TheSdkExportsItsMetricsToTheOtlpEndpointWithTheHeadersAndNotThroughTheHostsPipeline()
    {
        var taskQueue = $"sdk-otlp-{Guid.NewGuid():N}";
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var host = await StartWorkerAsync(taskQueue, new()
        {
            [SdkMetricsSetting.ConfigurationKey] = "Otlp",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "x-otlp-api-key=secret-key",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });

        await (await ClientAsync()).ExecuteWorkflowAsync((RetriedWorkflow wf) => wf.RunAsync("otlp"), new($"sdk-otlp-{Guid.NewGuid():N}", taskQueue));

        // The worker's SDK counts the completion once the server has acknowledged the workflow task.
        var export = await receiver.WaitForAsync(
            e => e.Method.EndsWith("MetricsService/Export", StringComparison.Ordinal) && e.Contains("temporal_workflow_completed") && e.Contains(taskQueue),
            TestContext.Current.CancellationToken);
        Assert.Equal("secret-key", export.ApiKey);
        Assert.Empty(SdkPointsOnQueue(_capture.CollectMetrics(host.Services), taskQueue));
    }

    [Fact]
    public async Task Run_None_NoSdkMetricIsRecordedWhileEstuarysAre()
    {
        var taskQueue = $"sdk-none-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue, new() { [SdkMetricsSetting.ConfigurationKey] = "None" });

        await (await ClientAsync()).ExecuteWorkflowAsync((RetriedWorkflow wf) => wf.RunAsync("none"), new($"sdk-none-{Guid.NewGuid():N}", taskQueue));

        var metrics = _capture.CollectMetrics(host.Services);
        Assert.Contains(metrics[EstuaryTelemetry.InstrumentNames.Duration].MetricPoints, p => p.Tag("estuary.type") == nameof(RetriedWorkflow));
        // With the default (Bridge) the same points exist: MetricsEndToEndTests.Run_Workflow_TheTemporalSdkMetricsOfTheWorkerReachTheSamePipeline.
        Assert.Empty(SdkPointsOnQueue(metrics, taskQueue));
    }

    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        settings["ConnectionStrings:example-db"] = "Host=localhost;Database=unused";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration.AddInMemoryCollection(TestEncryption.Settings);
        return builder;
    }

    // Other tests' workers bridge into the same process-wide meter: only this test's task queue tells its worker's points.
    private static List<MetricPoint> SdkPointsOnQueue(IReadOnlyDictionary<string, MetricSnapshot> metrics, string taskQueue) =>
        metrics.Values.Where(m => m.MeterName == EstuaryTelemetry.SdkMeterName)
            .SelectMany(m => m.MetricPoints).Where(p => p.Tag("task_queue") == taskQueue).ToList();

    private Task<TemporalClient> ClientAsync() =>
        TemporalClient.ConnectAsync(new TemporalConnectionOptions { Address = fixture.Address, Encryption = TestEncryption.Options }.ToConnectOptions(new DomainCatalog([new TracedDomain()])));

    private async Task<WorkerProcess> StartWorkerAsync(string taskQueue, Dictionary<string, string?> settings)
    {
        settings["Estuary:Worker:TaskQueue"] = taskQueue;
        return await WorkerProcess.StartAsync(WorkerHost.Build(fixture.Address, settings, _capture.AddTo, new TracedDomain()), taskQueue);
    }
}
