using System.Diagnostics;
using System.Globalization;
using Estuary.DevServer.Bench;
using Temporalio.Client;
using Temporalio.Worker;

// Usage: Estuary.DevServer.Bench [workflows=1000] [concurrency=500] [warmup=1000]
var workflows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500;
var warmup = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;

using var server = ServerProcess.Start();
TemporalClient client = null!;
for (var attempt = 0; ; attempt++)
{
    try
    {
        client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(server.Address));
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
    .AddAllActivities(new BenchActivities()));

async Task<List<double>> RunBatchAsync(int count, string prefix)
{
    var latencies = new List<double>(count);
    using var gate = new SemaphoreSlim(concurrency);
    var tasks = Enumerable.Range(0, count).Select(async i =>
    {
        await gate.WaitAsync();
        try
        {
            var started = Stopwatch.GetTimestamp();
            var result = await client.ExecuteWorkflowAsync((BenchWorkflow wf) => wf.RunAsync("x"), new($"{prefix}-{i}", taskQueue));
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
    // Warm-up: JIT tiering and connection setup of a long-running server are not what is measured.
    await RunBatchAsync(warmup, "warmup");

    var serverCpuBefore = server.CpuTime();
    var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    var latencies = await RunBatchAsync(workflows, "run");
    wall.Stop();
    var serverCpu = server.CpuTime() - serverCpuBefore;
    var benchCpu = Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore;

    latencies.Sort();
    double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
    var capacity = wall.Elapsed.TotalSeconds * Environment.ProcessorCount;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"workflows={workflows} concurrency={concurrency} warmup={warmup} cores={Environment.ProcessorCount} wall={wall.Elapsed.TotalSeconds:F2}s " +
        $"throughput={workflows / wall.Elapsed.TotalSeconds:F0} wf/s p50={Percentile(0.50):F1}ms p99={Percentile(0.99):F1}ms " +
        $"server_cpu={serverCpu.TotalSeconds:F2}s ({100 * serverCpu.TotalSeconds / capacity:F1}% of machine) " +
        $"worker+client_cpu={benchCpu.TotalSeconds:F2}s ({100 * benchCpu.TotalSeconds / capacity:F1}% of machine)"));
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
return 0;
