using Estuary.Temporal.Domains;
using Estuary.Temporal.Monitoring;
using Estuary.Temporal.Tracing;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Client;
using Temporalio.Runtime;
using Temporalio.Worker;
using EstuaryConnection = Estuary.Temporal.Configuration.TemporalConnectionOptions;

namespace Estuary.Monitoring.Bench;

/// <summary>The SDK runtimes of the run, each created once: workers of each mode run on a runtime of their own, so the
/// modes differ only by monitoring.</summary>
/// <param name="Plain">A runtime without metrics, for monitoring off.</param>
/// <param name="Monitored">The runtime AddEstuaryWorker uses (<see cref="TemporalSdkMetrics.CreateRuntime"/>).</param>
/// <param name="Discarding">A runtime whose SDK metrics go to a meter that drops them (<see cref="DiscardingSdkMeter"/>).</param>
/// <param name="Control">A second runtime without metrics, for <see cref="Monitors.Control"/>.</param>
/// <param name="Otlp">The runtime AddEstuaryWorker uses with <c>Estuary:Telemetry:SdkMetrics=Otlp</c>: the SDK core exports to the sink itself.</param>
/// <param name="Pipeline">The process's OpenTelemetry pipeline, built once as a worker's service defaults build it; a
/// round with monitoring off feeds it nothing.</param>
internal sealed record Runtimes(TemporalRuntime Plain, TemporalRuntime Monitored, TemporalRuntime Discarding, TemporalRuntime Control, TemporalRuntime Otlp, MonitoringPipeline Pipeline);

/// <summary>The parts of monitoring a round switches on.</summary>
[Flags]
internal enum Monitors
{
    /// <summary>Monitoring off.</summary>
    None = 0,

    /// <summary>The tracing interceptor (client, workflow and activity spans, headers).</summary>
    Tracing = 1,

    /// <summary>The monitoring interceptor (log lines in scopes, execution counters and durations).</summary>
    LogsAndMetrics = 2,

    /// <summary>The SDK's own metrics, bridged by the worker's runtime.</summary>
    SdkMetrics = 4,

    /// <summary>The SDK's own metrics, produced but dropped by the meter they go to: the SDK core's share of <see cref="SdkMetrics"/>.</summary>
    SdkMetricsDiscarded = 8,

    /// <summary>Monitoring off, on a runtime and worker of its own: against <see cref="None"/>, the bench's own bias and noise.</summary>
    Control = 16,

    /// <summary>Example scenario: the SQL as Npgsql's spans (<c>Estuary:Telemetry:Sql=Spans</c>) instead of events.</summary>
    SqlSpans = 32,

    /// <summary>The SDK's own metrics, exported over OTLP by the SDK core itself (<c>Estuary:Telemetry:SdkMetrics=Otlp</c>).</summary>
    SdkMetricsOtlp = 64,

    /// <summary>Everything AddEstuaryWorker installs.</summary>
    All = Tracing | LogsAndMetrics | SdkMetrics,

    /// <summary>Everything, the SDK's metrics exported by the SDK core (<c>Estuary:Telemetry:SdkMetrics=Otlp</c>).</summary>
    AllOtlp = Tracing | LogsAndMetrics | SdkMetricsOtlp,

    /// <summary>Example scenario: everything, the SQL as spans (what a worker has with <c>Estuary:Telemetry:Sql=Spans</c>).</summary>
    AllWithSqlSpans = All | SqlSpans,
}

/// <summary>
/// The trivial scenario: a worker whose workflow runs a chain of activities that add one, so monitoring is nearly all
/// the worker's own work. Its parts of monitoring are switched one by one (<see cref="Monitors"/>); with
/// <see cref="Monitors.All"/> the worker is what AddEstuaryWorker builds: tracing from the client, the monitoring
/// interceptor's logs and metrics, the SDK's metrics bridged by its runtime, all exported by the pipeline.
/// </summary>
internal sealed class ChainRun : IModeRun
{
    private static readonly DomainDescriptor Domain = DomainCatalog.Discover(new BenchDomain());

    private readonly TemporalClient _client;
    private readonly TemporalWorker _worker;
    private readonly MonitoringPipeline? _exports;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly string _taskQueue;
    private readonly int _workflows;
    private readonly int _activities;
    private int _rounds;

    private ChainRun(TemporalClient client, TemporalWorker worker, MonitoringPipeline? exports, string taskQueue, int workflows, int activities)
    {
        _client = client;
        _worker = worker;
        _exports = exports;
        _taskQueue = taskQueue;
        _workflows = workflows;
        _activities = activities;
        _running = worker.ExecuteAsync(_stop.Token);
    }

    /// <summary>Connects and starts a worker with the given parts of monitoring on.</summary>
    /// <param name="address">The Temporal server.</param>
    /// <param name="monitors">The parts of monitoring on.</param>
    /// <param name="runtimes">The run's runtimes and pipeline.</param>
    /// <param name="workflows">Chains started at once in a round.</param>
    /// <param name="activities">Activities per chain.</param>
    /// <returns>The started run.</returns>
    public static async Task<ChainRun> StartAsync(string address, Monitors monitors, Runtimes runtimes, int workflows, int activities)
    {
        var connect = new TemporalClientConnectOptions(address)
        {
            // As AddEstuaryWorker connects (Temporal:Compression=Auto): no compression to a server on this machine.
            GrpcCompression = new EstuaryConnection { Address = address }.ResolveGrpcCompression(),
            Runtime = monitors.HasFlag(Monitors.SdkMetrics) ? runtimes.Monitored
                : monitors.HasFlag(Monitors.SdkMetricsOtlp) ? runtimes.Otlp
                : monitors.HasFlag(Monitors.SdkMetricsDiscarded) ? runtimes.Discarding
                : monitors.HasFlag(Monitors.Control) ? runtimes.Control : runtimes.Plain,
        };
        if (monitors.HasFlag(Monitors.Tracing))
        {
            connect.Interceptors = [new TracingInterceptor(new DomainCatalog([new BenchDomain()]))];
        }

        var client = await TemporalClient.ConnectAsync(connect);
        var taskQueue = $"bench-{monitors}-{Guid.NewGuid():N}";
        var logs = monitors.HasFlag(Monitors.LogsAndMetrics);
        var options = new TemporalWorkerOptions(taskQueue)
        {
            Interceptors = logs ? [new MonitoringInterceptor(runtimes.Pipeline.LoggerFactory, [Domain])] : [],

            // As a hosted worker: the SDK's own logs and Workflow.Logger go to the process's logging.
            LoggerFactory = logs ? runtimes.Pipeline.LoggerFactory : NullLoggerFactory.Instance,
        }
            .AddWorkflow<ChainWorkflow>()
            .AddAllActivities<BenchActivities>(null);
        var exports = monitors.HasFlag(Monitors.Tracing) || logs ? runtimes.Pipeline : null;
        return new ChainRun(client, new TemporalWorker(client, options), exports, taskQueue, workflows, activities);
    }

    /// <summary>Runs a round: the chains started at once, timed from the first start to the last result and, with spans or
    /// logs on, the export of the round's spans and log records.</summary>
    /// <returns>The round's figures, per activity.</returns>
    public async Task<RoundResult> RunAsync()
    {
        if (_running.IsCompleted)
        {
            // A worker that stopped would leave the round waiting forever; say why instead.
            await _running;
            throw new InvalidOperationException($"The worker of task queue {_taskQueue} stopped.");
        }

        var round = ++_rounds;
        return await RoundResult.MeasureAsync(async () =>
        {
            var handles = await Task.WhenAll(Enumerable.Range(0, _workflows).Select(i =>
                _client.StartWorkflowAsync((ChainWorkflow wf) => wf.RunAsync(_activities), new($"{_taskQueue}-{round}-{i}", _taskQueue))));
            var results = await Task.WhenAll(handles.Select(h => h.GetResultAsync()));
            var expected = _activities * (_activities + 1) / 2;
            if (results.Any(r => r != expected))
            {
                throw new InvalidOperationException($"A chain returned a wrong total (expected {expected}).");
            }

            if (_exports is not null)
            {
                await _exports.FlushAsync();
            }

            return _workflows * _activities;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
            // The worker stops by cancellation.
        }

        _worker.Dispose();
        _stop.Dispose();
    }
}
