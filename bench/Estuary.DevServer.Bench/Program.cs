using System.Diagnostics;
using System.Globalization;
using Estuary.DevServer.Bench;
using Estuary.Testing;
using Temporalio.Client;
using Estuary.Temporal.Configuration;
using Temporalio.Worker;
using EstuaryConnection = Estuary.Temporal.Configuration.TemporalConnectionOptions;

// Usage: Estuary.DevServer.Bench [--scenario workflows|signals|queries|updates|threads|store|recovery|footprint|concurrent] [--eager-start] [--compression none|gzip]
//                                [count] [concurrency] [warmup]
//   workflows: count workflows each running one activity (defaults 1000, concurrency 500, warmup 5000: a shorter
//     warm-up leaves the server and the SDK still moving code to the JIT's optimised tier during the measured runs);
//     --eager-start starts them with RequestEagerStart (the first workflow task comes back in the start response);
//   signals / queries / updates: count operations on one running workflow (defaults 2000, concurrency 50, warmup 200);
//   threads: no server; the CPU cost of the dedicated thread the SDK starts for every workflow activation, against a
//     pool task (count 10000).
//   store [count=2000] [concurrency=500] [rounds=5] [warmup=3000]: the same workflows on a server with a database file
//     and on an in-memory one, both running side by side, measured batches alternating; prints the file/memory ratio;
//   recovery [count=10000]: a file holding count open workflows (each on a pending timer), restarted after a clean stop
//     and after kill -9: time to the listening line and to the first answered call, against an empty server;
//   footprint [count=10000]: server resident memory and file size per count completed workflows, file and memory;
//   concurrent [count=5000]: count workflows running at once on a database file: p50/p99, failures, timeouts.
//   --compression: the client's and worker's gRPC request compression; by default what Estuary's workers and CLI
//     choose for the address (Temporal:Compression=Auto: none on loopback); gzip is the SDK's own default.
var scenario = "workflows";
var eagerStart = false;
string? compression = null;
var positional = new List<int>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--scenario" && i + 1 < args.Length)
    {
        scenario = args[++i];
    }
    else if (args[i] == "--eager-start")
    {
        eagerStart = true;
    }
    else if (args[i] == "--compression" && i + 1 < args.Length)
    {
        compression = args[++i];
        if (compression is not ("none" or "gzip"))
        {
            Console.Error.WriteLine($"Unknown compression '{compression}': use none or gzip.");
            return 2;
        }
    }
    else if (int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0)
    {
        positional.Add(number);
    }
    else
    {
        Console.Error.WriteLine($"'{args[i]}' is not an option nor a positive count: see the usage at the top of Program.cs.");
        return 2;
    }
}
if (scenario is not ("workflows" or "signals" or "queries" or "updates" or "threads" or "store" or "recovery" or "footprint" or "concurrent"))
{
    Console.Error.WriteLine($"Unknown scenario '{scenario}': use workflows, signals, queries, updates, threads, store, recovery, footprint or concurrent.");
    return 2;
}
int Positional(int index, int fallback) => positional.Count > index ? positional[index] : fallback;
switch (scenario)
{
    case "store":
        return await StoreScenarios.ThroughputAsync(Positional(0, 2000), Positional(1, 500), Positional(2, 5), Positional(3, 3000));
    case "recovery":
        return await StoreScenarios.RecoveryAsync(Positional(0, 10_000));
    case "footprint":
        return await StoreScenarios.FootprintAsync(Positional(0, 10_000));
    case "concurrent":
        return await StoreScenarios.ConcurrentAsync(Positional(0, 5000));
    default:
        break;
}
if (scenario == "threads")
{
    var tasks = positional.Count > 0 ? positional[0] : 10000;
    await ThreadCost.MeasureAsync(tasks / 5, TaskCreationOptions.LongRunning);
    await ThreadCost.MeasureAsync(tasks / 5, TaskCreationOptions.None);
    for (var round = 1; round <= 3; round++)
    {
        var dedicated = await ThreadCost.MeasureAsync(tasks, TaskCreationOptions.LongRunning);
        var pooled = await ThreadCost.MeasureAsync(tasks, TaskCreationOptions.None);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scenario=threads round={round} count={tasks} long_running={dedicated:F1} us CPU/task pool={pooled:F1} us CPU/task"));
    }
    return 0;
}
var perWorkflow = scenario == "workflows";
var count = positional.Count > 0 ? positional[0] : perWorkflow ? 1000 : 2000;
var concurrency = positional.Count > 1 ? positional[1] : perWorkflow ? 500 : 50;
var warmup = positional.Count > 2 ? positional[2] : perWorkflow ? 5000 : 200;

using var server = DevServerProcess.Start();
TemporalClient client = null!;
for (var attempt = 0; ; attempt++)
{
    try
    {
        client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(server.Address)
        {
            // Unless told otherwise, as AddEstuaryWorker connects (Temporal:Compression=Auto).
            GrpcCompression = new EstuaryConnection
            {
                Address = server.Address,
                Compression = compression == "gzip" ? TemporalCompression.Gzip : compression == "none" ? TemporalCompression.None : TemporalCompression.Auto,
            }.ResolveGrpcCompression(),
        });
        break;
    }
    catch (Exception) when (attempt < 120)
    {
        await Task.Delay(500);
    }
}

var taskQueue = $"bench-{Guid.NewGuid():N}";
using var worker = new TemporalWorker(client, new TemporalWorkerOptions(taskQueue)
    .AddWorkflow<BenchWorkflow>()
    .AddWorkflow<BenchTargetWorkflow>()
    .AddAllActivities(new BenchActivities()));

// Collections so far of generations 0, 1 and 2.
static int[] CollectionCounts() => [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];

// Runs n operations, at most `concurrency` at once, and returns each one's latency in milliseconds.
async Task<List<double>> RunBatchAsync(int n, Func<int, Task> operation)
{
    var latencies = new List<double>(n);
    using var gate = new SemaphoreSlim(concurrency);
    var tasks = Enumerable.Range(0, n).Select(async i =>
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
    });
    await Task.WhenAll(tasks);
    return latencies;
}

await worker.ExecuteAsync(async () =>
{
    Func<string, Func<int, Task>> operation;
    Func<Task<string>> check = () => Task.FromResult("");
    if (perWorkflow)
    {
        operation = prefix => i => client.ExecuteWorkflowAsync((BenchWorkflow wf) => wf.RunAsync("x"),
            new($"{prefix}-{i}", taskQueue) { RequestEagerStart = eagerStart });
    }
    else
    {
        var target = await client.StartWorkflowAsync((BenchTargetWorkflow wf) => wf.RunAsync(), new($"target-{Guid.NewGuid():N}", taskQueue));
        operation = scenario switch
        {
            "signals" => _ => _ => target.SignalAsync(wf => wf.AddAsync()),
            "queries" => _ => _ => target.QueryAsync(wf => wf.Count),
            _ => _ => _ => target.ExecuteUpdateAsync(wf => wf.IncrementAsync()),
        };
        // Every signal and update must have reached the workflow: the count proves none was lost.
        check = async () => $" workflow_count={await target.QueryAsync(wf => wf.Count)}";
    }

    // Warm-up: JIT tiering and connection setup of a long-running server are not what is measured.
    await RunBatchAsync(warmup, operation("warmup"));

    var serverCpuBefore = server.CpuTime();
    var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var collectionsBefore = CollectionCounts();
    var allocatedBefore = GC.GetTotalAllocatedBytes();
    var wall = Stopwatch.StartNew();
    var latencies = await RunBatchAsync(count, operation("run"));
    wall.Stop();
    var serverCpu = server.CpuTime() - serverCpuBefore;
    var benchCpu = Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore;
    var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
    var collections = string.Join('/', CollectionCounts().Zip(collectionsBefore, (after, before) => after - before));

    latencies.Sort();
    double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
    var capacity = wall.Elapsed.TotalSeconds * Environment.ProcessorCount;
    var unit = perWorkflow ? "wf/s" : "ops/s";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"scenario={scenario} eager_start={(eagerStart ? "true" : "false")} compression={(client.Connection.Options.GrpcCompression is GrpcCompression.Gzip ? "gzip" : "none")} count={count} concurrency={concurrency} warmup={warmup} cores={Environment.ProcessorCount} wall={wall.Elapsed.TotalSeconds:F2}s " +
        $"throughput={count / wall.Elapsed.TotalSeconds:F0} {unit} p50={Percentile(0.50):F1}ms p99={Percentile(0.99):F1}ms " +
        $"server_cpu={serverCpu.TotalSeconds:F2}s ({100 * serverCpu.TotalSeconds / capacity:F1}% of machine, {1000 * serverCpu.TotalSeconds / count:F2} ms/op) " +
        $"worker+client_cpu={benchCpu.TotalSeconds:F2}s ({100 * benchCpu.TotalSeconds / capacity:F1}% of machine) " +
        $"worker+client_gc={collections} (gen0/1/2) allocated={allocated / (double)count / 1024:F1} KiB/op") + await check());
});

// Visibility over the runs just closed (warm-up + measured): each call filters every run the namespace holds.
async Task MeasureVisibilityAsync(string name, int repeats, Func<Task<long>> call)
{
    await call();
    var elapsed = new List<double>(repeats);
    var serverCpuBefore = server.CpuTime();
    long result = 0;
    for (var i = 0; i < repeats; i++)
    {
        var started = Stopwatch.GetTimestamp();
        result = await call();
        elapsed.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    var serverCpu = server.CpuTime() - serverCpuBefore;
    elapsed.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"visibility {name}: result={result} p50={elapsed[elapsed.Count / 2]:F1}ms max={elapsed[^1]:F1}ms " +
        $"server_cpu_per_call={1000 * serverCpu.TotalSeconds / repeats:F1}ms"));
}

// Only the workflows scenario closes enough runs for these figures to mean something.
if (perWorkflow)
{
    await MeasureVisibilityAsync("count all", 20, async () => (await client.CountWorkflowsAsync("")).Count);
    await MeasureVisibilityAsync("count filtered", 20, async () =>
        (await client.CountWorkflowsAsync($"TaskQueue = '{taskQueue}' AND WorkflowId STARTS_WITH 'run-' AND ExecutionStatus = 'Completed'")).Count);
    await MeasureVisibilityAsync("count group-by", 20, async () =>
        (await client.CountWorkflowsAsync("GROUP BY ExecutionStatus")).Groups.Sum(g => g.Count));
    await MeasureVisibilityAsync("list first page of 100", 20, async () =>
        (await client.ListWorkflowsPaginatedAsync("WorkflowType = 'BenchWorkflow' ORDER BY StartTime DESC", null, new() { PageSize = 100 })).Workflows.Count);
    await MeasureVisibilityAsync("list all (pages of 1000)", 3, async () =>
    {
        long listed = 0;
        await foreach (var execution in client.ListWorkflowsAsync("WorkflowType = 'BenchWorkflow'"))
        {
            listed++;
        }
        return listed;
    });
}

return 0;
