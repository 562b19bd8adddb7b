using System.Diagnostics;
using System.Globalization;
using Estuary.Testing;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace Estuary.DevServer.Bench;

/// <summary>
/// The server on a database file (<c>--db-filename</c>): throughput against the in-memory server in the same run,
/// recovery of a file full of open workflows, memory and file size per completed workflow, many concurrent workflows.
/// </summary>
internal static class StoreScenarios
{
    private static string NewDatabase() => Path.Combine(Directory.CreateTempSubdirectory("estuary-bench-").FullName, "state.db");

    private static async Task<TemporalClient> ConnectAsync(DevServerProcess server)
    {
        await server.Listening.WaitAsync(TimeSpan.FromMinutes(2));
        return await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(server.Address));
    }

    private static TemporalWorkerOptions Work(string taskQueue) => new TemporalWorkerOptions(taskQueue)
        .AddWorkflow<BenchWorkflow>()
        .AddWorkflow<SleepingWorkflow>()
        .AddWorkflow<ConcurrentWorkflow>()
        .AddAllActivities(new BenchActivities());

    /// <summary>Runs n workflows, at most <paramref name="concurrency"/> at once; returns each one's latency in milliseconds.</summary>
    private static async Task<List<double>> RunAsync(int n, int concurrency, Func<int, Task> operation)
    {
        var latencies = new List<double>(n);
        using var gate = new SemaphoreSlim(concurrency);
        await Task.WhenAll(Enumerable.Range(0, n).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var started = Stopwatch.GetTimestamp();
                await operation(i);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(elapsed);
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        latencies.Sort();
        return latencies;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static long FileBytes(string database) =>
        new[] { database, database + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);

    /// <summary>
    /// Throughput with the database file against the in-memory server: both servers run side by side, each with its
    /// own worker, warmed up, then measured batches alternate between them (the order flips every round).
    /// </summary>
    public static async Task<int> ThroughputAsync(int count, int concurrency, int rounds, int warmup)
    {
        var database = NewDatabase();
        using var memory = DevServerProcess.Start();
        using var file = DevServerProcess.StartWithDatabase(database);
        Mode[] modes = [new("memory", memory, await ConnectAsync(memory)), new("file", file, await ConnectAsync(file))];
        using var memoryWorker = new TemporalWorker(modes[0].Client, Work(modes[0].Queue));
        using var fileWorker = new TemporalWorker(modes[1].Client, Work(modes[1].Queue));
        using var stop = new CancellationTokenSource();
        var running = new[] { memoryWorker.ExecuteAsync(stop.Token), fileWorker.ExecuteAsync(stop.Token) };

        static Func<int, Task> Operation(Mode mode, string prefix) => i =>
            mode.Client.ExecuteWorkflowAsync((BenchWorkflow wf) => wf.RunAsync("x"), new($"{prefix}-{i}", mode.Queue));
        foreach (var mode in modes)
        {
            await RunAsync(warmup, concurrency, Operation(mode, "warmup"));
        }
        var ratios = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var mode in round % 2 == 1 ? modes : modes.Reverse())
            {
                var cpuBefore = mode.Server.CpuTime();
                var wall = Stopwatch.StartNew();
                var latencies = await RunAsync(count, concurrency, Operation(mode, $"round{round}"));
                wall.Stop();
                var serverCpu = mode.Server.CpuTime() - cpuBefore;
                var rate = count / wall.Elapsed.TotalSeconds;
                mode.Rates.Add(rate);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round={round} mode={mode.Name} count={count} concurrency={concurrency} throughput={rate:F0} wf/s p50={Percentile(latencies, 0.5):F0}ms p99={Percentile(latencies, 0.99):F0}ms server_cpu_per_wf={1000 * serverCpu.TotalSeconds / count:F2}ms"));
            }
            ratios.Add(modes[1].Rates[^1] / modes[0].Rates[^1]);
        }
        await stop.CancelAsync();
        foreach (var worker in running)
        {
            try
            {
                await worker;
            }
            catch (OperationCanceledException)
            {
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scenario=store rounds={rounds} memory_median={Median(modes[0].Rates):F0} wf/s file_median={Median(modes[1].Rates):F0} wf/s " +
            $"file/memory ratio median={Median(ratios):F3} range={ratios.Min():F3}-{ratios.Max():F3} file_bytes={FileBytes(database)}"));
        Directory.Delete(Path.GetDirectoryName(database)!, recursive: true);
        return 0;
    }

    private sealed record Mode(string Name, DevServerProcess Server, TemporalClient Client)
    {
        public string Queue { get; } = $"bench-{Guid.NewGuid():N}";

        public List<double> Rates { get; } = [];
    }

    /// <summary>
    /// A file holding <paramref name="count"/> open workflows, each waiting on a timer: the server is stopped (cleanly,
    /// then killed) and started again on it; prints the time from the process start to its listening line (state
    /// loaded) and to the first answered call, against an empty in-memory server started the same way.
    /// </summary>
    public static async Task<int> RecoveryAsync(int count)
    {
        var database = NewDatabase();
        var port = 0;
        using (var server = DevServerProcess.StartWithDatabase(database))
        {
            port = server.Port;
            var client = await ConnectAsync(server);
            var taskQueue = $"bench-{Guid.NewGuid():N}";
            using var worker = new TemporalWorker(client, Work(taskQueue));
            await worker.ExecuteAsync(async () =>
            {
                await RunAsync(count, 500, i => client.StartWorkflowAsync((SleepingWorkflow wf) => wf.RunAsync(), new($"sleeper-{i}", taskQueue)));
                // Every workflow has run its first task and started its timer.
                while ((await client.CountWorkflowsAsync($"TaskQueue = '{taskQueue}' AND HistoryLength >= 5")).Count < count)
                {
                    await Task.Delay(500);
                }
            });
            server.Stop(kill: false);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"file with {count} open workflows: {FileBytes(database) / 1024.0 / 1024:F1} MiB"));
        // Each mode names how the server before it on the file stopped; the one after a clean stop is killed.
        for (var round = 1; round <= 3; round++)
        {
            foreach (var (mode, kill) in new[] { ("empty in-memory server", false), ("file, after a clean stop", true), ("file, after kill -9", false) })
            {
                var sw = Stopwatch.StartNew();
                using var server = mode.StartsWith("empty", StringComparison.Ordinal) ? DevServerProcess.Start() : DevServerProcess.StartWithDatabase(database, port, logLevel: "info");
                await server.Listening.WaitAsync(TimeSpan.FromMinutes(2));
                var listening = sw.Elapsed;
                var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(server.Address));
                var open = (await client.CountWorkflowsAsync("ExecutionStatus = 'Running'")).Count;
                var answered = sw.Elapsed;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round={round} {mode}: listening after {listening.TotalSeconds:F2}s, first call answered after {answered.TotalSeconds:F2}s, open workflows={open}, server rss={server.ResidentBytes() / 1024.0 / 1024:F0} MiB {server.LoadedLine}"));
                server.Stop(kill);
            }
        }
        Directory.Delete(Path.GetDirectoryName(database)!, recursive: true);
        return 0;
    }

    /// <summary>Server memory (resident set) and file size per <paramref name="count"/> completed workflows, file against memory.</summary>
    public static async Task<int> FootprintAsync(int count)
    {
        foreach (var onFile in new[] { false, true })
        {
            var database = NewDatabase();
            using var server = onFile ? DevServerProcess.StartWithDatabase(database) : DevServerProcess.Start();
            var client = await ConnectAsync(server);
            var taskQueue = $"bench-{Guid.NewGuid():N}";
            using var worker = new TemporalWorker(client, Work(taskQueue));
            var (before, after) = await worker.ExecuteAsync(async () =>
            {
                // A first batch gets the server's code and pools going, so the difference counts workflows only.
                await RunAsync(1000, 500, i => client.ExecuteWorkflowAsync((BenchWorkflow wf) => wf.RunAsync("x"), new($"warmup-{i}", taskQueue)));
                var before = (server.ResidentBytes(), FileBytes(database));
                await RunAsync(count, 500, i => client.ExecuteWorkflowAsync((BenchWorkflow wf) => wf.RunAsync("x"), new($"run-{i}", taskQueue)));
                return (before, (server.ResidentBytes(), FileBytes(database)));
            });
            server.Stop(kill: false);
            var fileSizes = onFile
                ? string.Create(CultureInfo.InvariantCulture,
                    $" file_growth={(after.Item2 - before.Item2) / 1024.0 / 1024:F1} MiB file_after_clean_stop={FileBytes(database) / 1024.0 / 1024:F1} MiB")
                : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"mode={(onFile ? "file" : "memory")} completed={count} server_rss_before={before.Item1 / 1024.0 / 1024:F0} MiB after={after.Item1 / 1024.0 / 1024:F0} MiB growth={(after.Item1 - before.Item1) / 1024.0 / 1024:F1} MiB{fileSizes}"));
            Directory.Delete(Path.GetDirectoryName(database)!, recursive: true);
        }
        return 0;
    }

    /// <summary>
    /// <paramref name="count"/> workflows running at once (each waits on a timer, then runs an activity), on the in-memory
    /// server and then on a database file: p50/p99 from start to result, failures, and timeouts found in their histories.
    /// </summary>
    public static async Task<int> ConcurrentAsync(int count)
    {
        var clean = true;
        foreach (var onFile in new[] { false, true })
        {
            var database = NewDatabase();
            using var server = onFile ? DevServerProcess.StartWithDatabase(database) : DevServerProcess.Start();
            var client = await ConnectAsync(server);
            var taskQueue = $"bench-{Guid.NewGuid():N}";
            using var worker = new TemporalWorker(client, Work(taskQueue));
            var wall = Stopwatch.StartNew();
            var failures = 0;
            var latencies = await worker.ExecuteAsync(() => RunAsync(count, count, async i =>
            {
                try
                {
                    await client.ExecuteWorkflowAsync((ConcurrentWorkflow wf) => wf.RunAsync(), new($"concurrent-{i}", taskQueue));
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failures);
                }
            }));
            wall.Stop();
            var timeouts = 0;
            await foreach (var run in client.ListWorkflowsAsync($"TaskQueue = '{taskQueue}'"))
            {
                await foreach (var evt in client.GetWorkflowHandle(run.Id, runId: run.RunId).FetchHistoryEventsAsync())
                {
                    if (evt.EventType is EventType.WorkflowTaskTimedOut or EventType.ActivityTaskTimedOut or EventType.WorkflowExecutionTimedOut)
                    {
                        timeouts++;
                    }
                }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"scenario=concurrent mode={(onFile ? "file" : "memory")} count={count} wall={wall.Elapsed.TotalSeconds:F1}s failures={failures} timeouts_in_histories={timeouts} " +
                $"p50={Percentile(latencies, 0.5):F0}ms p99={Percentile(latencies, 0.99):F0}ms max={latencies[^1]:F0}ms server_rss={server.ResidentBytes() / 1024.0 / 1024:F0} MiB file={FileBytes(database) / 1024.0 / 1024:F1} MiB"));
            server.Stop(kill: false);
            Directory.Delete(Path.GetDirectoryName(database)!, recursive: true);
            clean &= failures == 0 && timeouts == 0;
        }
        return clean ? 0 : 1;
    }
}
