using System.Diagnostics;
using System.Globalization;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Monitoring;
using Estuary.Temporal.Tracing;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Client;
using Temporalio.Runtime;
using Temporalio.Worker;
using EstuaryConnection = Estuary.Temporal.Configuration.TemporalConnectionOptions;

namespace Estuary.Monitoring.Bench;

/// <summary>The two SDK runtimes of the run, each created once: workers of both modes run on a runtime of their own,
/// so the modes differ only by monitoring.</summary>
/// <param name="Plain">A runtime without metrics, for monitoring off.</param>
/// <param name="Monitored">The runtime AddEstuaryWorker uses (<see cref="TemporalSdkMetrics.CreateRuntime"/>).</param>
/// <param name="Discarding">A runtime whose SDK metrics go to a meter that drops them (<see cref="DiscardingSdkMeter"/>).</param>
/// <param name="Control">A second runtime without metrics, for <see cref="Monitors.Control"/>.</param>
/// <param name="Pipeline">The process's OpenTelemetry pipeline, built once as a worker's service defaults build it; a
/// round with monitoring off feeds it nothing.</param>
internal sealed record Runtimes(TemporalRuntime Plain, TemporalRuntime Monitored, TemporalRuntime Discarding, TemporalRuntime Control, MonitoringPipeline Pipeline);

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

    /// <summary>Everything AddEstuaryWorker installs.</summary>
    All = Tracing | LogsAndMetrics | SdkMetrics,
}

/// <summary>
/// One mode's client and worker, started once and kept for the whole run as a worker process keeps them: connecting
/// and starting a worker per round would make every round run start-up code that the JIT is still tiering up, which a
/// running worker never pays.
/// </summary>
internal sealed class ThroughputRun : IAsyncDisposable
{
    private static readonly DomainDescriptor Domain = DomainCatalog.Discover(new BenchDomain());

    private readonly TemporalClient _client;
    private readonly TemporalWorker _worker;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly string _taskQueue;
    private int _rounds;

    private ThroughputRun(TemporalClient client, TemporalWorker worker, string taskQueue)
    {
        _client = client;
        _worker = worker;
        _taskQueue = taskQueue;
        _running = worker.ExecuteAsync(_stop.Token);
    }

    /// <summary>Connects and starts a worker with the given parts of monitoring on; with <see cref="Monitors.All"/> the
    /// worker is what AddEstuaryWorker builds: tracing from the client, monitoring logs and metrics, the SDK's metrics
    /// bridged by its runtime, all exported through OpenTelemetry.</summary>
    public static async Task<ThroughputRun> StartAsync(string address, Monitors monitors, Runtimes runtimes)
    {
        var connect = new TemporalClientConnectOptions(address)
        {
            // As AddEstuaryWorker connects (Temporal:Compression=Auto): no compression to a server on this machine.
            GrpcCompression = new EstuaryConnection { Address = address }.ResolveGrpcCompression(),
            Runtime = monitors.HasFlag(Monitors.SdkMetrics) ? runtimes.Monitored
                : monitors.HasFlag(Monitors.SdkMetricsDiscarded) ? runtimes.Discarding
                : monitors.HasFlag(Monitors.Control) ? runtimes.Control : runtimes.Plain,
        };
        if (monitors.HasFlag(Monitors.Tracing))
        {
            connect.Interceptors = [new TracingInterceptor(new DomainCatalog([new BenchDomain()]))];
        }

        var client = await TemporalClient.ConnectAsync(connect);
        var taskQueue = $"bench-{monitors}-{Guid.NewGuid():N}";
        var options = new TemporalWorkerOptions(taskQueue)
        {
            Interceptors = monitors.HasFlag(Monitors.LogsAndMetrics) ? [new MonitoringInterceptor(runtimes.Pipeline.LoggerFactory, [Domain])] : [],
            LoggerFactory = NullLoggerFactory.Instance,
        }
            .AddWorkflow<ChainWorkflow>()
            .AddAllActivities<BenchActivities>(null);
        return new ThroughputRun(client, new TemporalWorker(client, options), taskQueue);
    }

    /// <summary>Runs a round: <c>workflows</c> chains of <c>activities</c> activities started at once, timed from the
    /// first start to the last result.</summary>
    /// <returns>Activities per second of wall-clock time; per activity, for the whole process (server, SDK core, worker,
    /// telemetry pipeline): CPU time, managed allocation, GC pause time and thread context switches.</returns>
    public async Task<RoundResult> RunAsync(int workflows, int activities)
    {
        if (_running.IsCompleted)
        {
            // A worker that stopped would leave the round waiting forever; say why instead.
            await _running;
            throw new InvalidOperationException($"The worker of task queue {_taskQueue} stopped.");
        }

        var round = ++_rounds;
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes();
        var paused = GC.GetTotalPauseDuration();
        int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var switches = ContextSwitches();
        var begin = Stopwatch.GetTimestamp();
        var handles = await Task.WhenAll(Enumerable.Range(0, workflows).Select(i =>
            _client.StartWorkflowAsync((ChainWorkflow wf) => wf.RunAsync(activities), new($"{_taskQueue}-{round}-{i}", _taskQueue))));
        var results = await Task.WhenAll(handles.Select(h => h.GetResultAsync()));
        var end = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(begin, end);
        process.Refresh();
        var cpuUsed = process.TotalProcessorTime - cpu;
        var allocatedBytes = GC.GetTotalAllocatedBytes() - allocated;
        var pause = GC.GetTotalPauseDuration() - paused;
        var collected = $"{GC.CollectionCount(0) - collections[0]}/{GC.CollectionCount(1) - collections[1]}/{GC.CollectionCount(2) - collections[2]}";
        var switched = ContextSwitches() - switches;

        var expected = activities * (activities + 1) / 2;
        if (results.Any(r => r != expected))
        {
            throw new InvalidOperationException($"A chain returned a wrong total (expected {expected}).");
        }

        var count = workflows * activities;
        return new(
            count / elapsed.TotalSeconds,
            cpuUsed.TotalMicroseconds / count,
            allocatedBytes / 1024.0 / count,
            pause.TotalMicroseconds / count,
            (double)switched / count,
            begin / (double)Stopwatch.Frequency,
            end / (double)Stopwatch.Frequency,
            collected);
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

    // Voluntary and involuntary context switches of every thread of this process so far (Linux; 0 elsewhere). Threads
    // that ended in between are not counted, which only undercounts.
    private static long ContextSwitches()
    {
        long total = 0;
        if (!Directory.Exists("/proc/self/task"))
        {
            return total;
        }

        foreach (var thread in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(thread, "status")))
                {
                    if (line.Contains("ctxt_switches:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
                // The thread ended while being read.
            }
        }

        return total;
    }
}

/// <summary>One round's figures.</summary>
/// <param name="PerSecond">Activities per second of wall-clock time.</param>
/// <param name="CpuMicroseconds">CPU time of the whole process per activity.</param>
/// <param name="AllocatedKiB">Managed memory allocated per activity.</param>
/// <param name="GcPauseMicroseconds">Time the garbage collector paused the process, per activity.</param>
/// <param name="ContextSwitches">Thread context switches per activity.</param>
/// <param name="Start">When the round started, in seconds of the monotonic clock on Linux (Stopwatch's clock).</param>
/// <param name="End">When the round ended, on the same clock.</param>
/// <param name="Collections">Garbage collections during the round: generation 0, 1 and 2 (each counts the lower ones too).</param>
internal sealed record RoundResult(
    double PerSecond,
    double CpuMicroseconds,
    double AllocatedKiB,
    double GcPauseMicroseconds,
    double ContextSwitches,
    double Start,
    double End,
    string Collections);
