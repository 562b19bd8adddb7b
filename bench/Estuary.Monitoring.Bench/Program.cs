using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Estuary.Monitoring.Bench;
using Estuary.Temporal.Monitoring;
using Estuary.Testing;
using Microsoft.Extensions.Configuration;
using Temporalio.Runtime;

// Throughput with monitoring off and on, every mode's worker in this process, against the embedded server in its own.
// Every round runs each mode once, in a rotating order, so drift in machine load does not favour one; modes are
// compared round by round (paired ratios) and the median of those ratios is the figure.
// Usage: [rounds] [workflows per round] [activities per workflow (trivial only)]
//   --scenario S       trivial (default): chains of activities that add one; example: the Example domain's
//                      ExampleWorkflow on a real PostgreSQL, through AddEstuaryWorker
//   --breakdown        trivial: also each part of monitoring alone and the SDK's metrics into a meter that drops them
//   --modes A,B,...    only the modes named (the first is the reference), e.g. --modes None,SdkMetrics; the example
//                      scenario takes one monitored mode a run: All, AllOtlp, AllWithSqlSpans, Tracing, LogsAndMetrics,
//                      SdkMetrics or SdkMetricsOtlp (the *Otlp modes: the SDK core exports its metrics to the sink itself)
//   --warmup K         at least K unmeasured rounds first (default 6), more while the JIT still compiles
//   --hot-paths        first time monitoring's per-activity work alone, without a server
//   --timeline         print when each measured round ran (monotonic clock), for bench/monitoring-perf-share.sh
//   --allocations      sample what the process allocates by type (the runtime's allocation ticks) and print the types
//                      each mode allocates most beyond the reference, per activity
//   --inventory        the receiver also decodes every export and the run prints what was exported per workflow with
//                      spans or logs on, by instrumentation scope (decoding costs the receiver: not for the ratios)
// Temporal's server (the DevServer executable) and the OTLP receiver (this executable with --otlp-receiver) run in
// processes of their own, as beside any worker process: the CPU figures and garbage collections are the bench
// process's (workers, clients, their telemetry pipelines), the server's and the receiver's CPU are printed apart.
var options = new HashSet<string>(args, StringComparer.Ordinal);
if (options.Contains(ReceiverProcess.Argument))
{
    return await ReceiverProcess.ServeAsync(countItems: options.Contains("--inventory"));
}

var valued = new Dictionary<string, string>(StringComparer.Ordinal);
var numbers = new List<int>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] is "--modes" or "--warmup" or "--scenario")
    {
        if (i + 1 >= args.Length)
        {
            return Usage($"{args[i]} needs a value.");
        }

        valued[args[i]] = args[++i];
    }
    else if (args[i] is not ("--breakdown" or "--hot-paths" or "--timeline" or "--inventory" or "--allocations"))
    {
        if (!int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
        {
            return Usage($"'{args[i]}' is neither an option nor a positive count.");
        }

        numbers.Add(number);
    }
}

var scenario = valued.GetValueOrDefault("--scenario", "trivial");
if (scenario is not ("trivial" or "example"))
{
    return Usage($"--scenario takes trivial or example, not '{scenario}'.");
}

var example = scenario == "example";
var rounds = numbers.Count > 0 ? numbers[0] : 20;
var workflows = numbers.Count > 1 ? numbers[1] : example ? 100 : 40;
var activities = numbers.Count > 2 ? numbers[2] : 25;
var warmup = 6;
if (valued.TryGetValue("--warmup", out var w) && !int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out warmup))
{
    return Usage($"--warmup takes a count of rounds, not '{w}'.");
}

Monitors[] known = example
    ? [Monitors.None, Monitors.All, Monitors.AllOtlp, Monitors.AllWithSqlSpans, Monitors.Tracing, Monitors.LogsAndMetrics, Monitors.SdkMetrics, Monitors.SdkMetricsOtlp, Monitors.Control]
    : [Monitors.None, Monitors.All, Monitors.AllOtlp, Monitors.Tracing, Monitors.LogsAndMetrics, Monitors.SdkMetrics, Monitors.SdkMetricsOtlp, Monitors.SdkMetricsDiscarded, Monitors.Control];
Monitors[] modes = example ? [Monitors.None, Monitors.All, Monitors.Control]
    : options.Contains("--breakdown") ? known
    : [Monitors.None, Monitors.SdkMetrics, Monitors.All, Monitors.Control];
if (valued.TryGetValue("--modes", out var named))
{
    var parsed = named.Split(',').Select(m => (Name: m, Known: Enum.TryParse<Monitors>(m, ignoreCase: true, out var mode) && !int.TryParse(m, out _) && known.Contains(mode), Mode: mode)).ToList();
    if (parsed.FirstOrDefault(p => !p.Known) is { Name: { } unknown })
    {
        return Usage($"--modes: '{unknown}' is not a mode of the {scenario} scenario ({string.Join(", ", known)}).");
    }

    modes = [.. parsed.Select(p => p.Mode).Distinct()];
}

// Each example host with monitoring on has an OpenTelemetry pipeline of its own, and ActivitySources and meters are
// process-wide: two of them would each record and export the other's telemetry.
if (example && modes.Count(m => m is not (Monitors.None or Monitors.Control)) > 1)
{
    return Usage("the example scenario takes one mode with monitoring on per run (besides None and Control).");
}

using var exportFailures = new ExportFailures();
using var allocations = options.Contains("--allocations") ? new AllocationSampler() : null;
await using var receiver = await ReceiverProcess.StartAsync(countItems: options.Contains("--inventory"));
var sink = receiver.Endpoint;
Console.WriteLine($"OTLP receiver: process {receiver.ProcessId}");
if (options.Contains("--hot-paths"))
{
    await HotPaths.RunAsync(sink, iterations: 200_000);
}

using var server = await DevServerProcess.StartAsync();
Console.WriteLine($"Temporal server: process {server.ProcessId}");
await using var postgres = example ? new LocalPostgres() : null;
MonitoringPipeline? pipeline = null;
var runs = new Dictionary<Monitors, IModeRun>();
if (postgres is not null)
{
    await postgres.StartAsync();
    Console.WriteLine($"{rounds} rounds, {workflows} ExampleWorkflow runs (2 activities each) per round and mode, {Environment.ProcessorCount} cores, load average {LoadAverage()}");

    // One worker host per mode for the whole run, as a worker process has, each on a database of its own, the server's
    // connections shared equally among their pools.
    foreach (var mode in modes)
    {
        var database = LocalPostgres.Pooled(await postgres.CreateDatabaseAsync($"bench_{mode}"), sharedBy: modes.Length);
        runs[mode] = await ExampleRun.StartAsync(server.Address, mode, database, sink, workflows);
    }
}
else
{
    // One telemetry pipeline for the whole process, as a worker has: it serves every mode that has a part of monitoring on.
    pipeline = await MonitoringPipeline.StartAsync(sink);
    var runtimes = new Runtimes(
        new TemporalRuntime(new TemporalRuntimeOptions()),
        TemporalSdkMetrics.CreateRuntime(),
        DiscardingSdkMeter.CreateRuntime(),
        new TemporalRuntime(new TemporalRuntimeOptions()),
        new TemporalRuntime(TemporalSdkMetrics.RuntimeOptions(new ConfigurationBuilder()
            .AddInMemoryCollection(MonitoringPipeline.Settings(sink))
            .AddInMemoryCollection(new Dictionary<string, string?> { [SdkMetricsSetting.ConfigurationKey] = nameof(SdkMetricsExport.Otlp) })
            .Build())),
        pipeline);
    Console.WriteLine($"{rounds} rounds, {workflows} workflows x {activities} activities per round and mode, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
    foreach (var mode in modes)
    {
        runs[mode] = await ChainRun.StartAsync(server.Address, mode, runtimes, workflows, activities);
    }
}

// Warm-up, not measured: the server's first task queues and the JIT. After the given rounds it goes on while the JIT
// still compiled for more than 1 % of a rotation's wall-clock time (tier-1 recompiles queue up on a background thread
// and would otherwise run during the first measured rounds), up to MaxExtraWarmup more rotations.
const int MaxExtraWarmup = 30;
var warmupRounds = 0;
for (var jitShare = 1.0; warmupRounds < warmup || (jitShare > 0.01 && warmupRounds < warmup + MaxExtraWarmup); warmupRounds++)
{
    var jitBefore = JitInfo.GetCompilationTime();
    var rotation = Stopwatch.StartNew();
    foreach (var mode in modes)
    {
        await runs[mode].RunAsync();
    }

    jitShare = (JitInfo.GetCompilationTime() - jitBefore) / rotation.Elapsed;
}

var jitAtStart = JitInfo.GetCompilationTime();
var measured = Stopwatch.StartNew();
var (activationsAtStart, threadsAtStart, poolThreadsAtStart) = (WorkflowThreads.Activations, WorkflowThreads.Threads, WorkflowThreads.PoolThreads);
var signals = Enum.GetValues<OtlpSignal>();
var countsAtStart = await receiver.CountsAsync();

var results = modes.ToDictionary(m => m, _ => new List<RoundResult>());
var receiverCpu = modes.ToDictionary(m => m, _ => new List<double>());
var serverCpu = modes.ToDictionary(m => m, _ => new List<double>());
for (var round = 0; round < rounds; round++)
{
    for (var i = 0; i < modes.Length; i++)
    {
        var mode = modes[(round + i) % modes.Length];
        var receiverCpuBefore = receiver.CpuTime;
        var serverCpuBefore = server.CpuTime();
        var result = await runs[mode].RunAsync();
        results[mode].Add(result);
        receiverCpu[mode].Add((receiver.CpuTime - receiverCpuBefore).TotalMicroseconds / result.Activities);
        serverCpu[mode].Add((server.CpuTime() - serverCpuBefore).TotalMicroseconds / result.Activities);
        if (options.Contains("--timeline"))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {mode} {result.Start:F6} {result.End:F6} {result.Activities} {result.Collections}"));
        }
    }

    Console.WriteLine(string.Join(
        " | ",
        modes.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m}: {results[m][^1].PerSecond:F0}/s {results[m][^1].CpuMicroseconds:F0} µs (JIT {results[m][^1].JitMicroseconds:F0})"))));
}

var jitMeasured = JitInfo.GetCompilationTime() - jitAtStart;
var countsAtEnd = await receiver.CountsAsync();
var elapsed = measured.Elapsed;
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"warm-up rounds: {warmupRounds}; JIT compiling during the measured rounds: {jitMeasured.TotalMilliseconds:F0} ms, {jitMeasured / elapsed:P1} of their wall-clock time; load average {LoadAverage()}"));
foreach (var run in runs.Values)
{
    await run.DisposeAsync();
}

if (pipeline is not null)
{
    await pipeline.DisposeAsync();
}

// Each mode against the reference (the first mode: monitoring off unless --modes says otherwise) of the same round.
var reference = modes[0];
Console.WriteLine($"mode                 activities/s  CPU µs/activity   throughput {reference}/mode (median, IQR)   CPU mode/{reference} (median, IQR)   KiB/activity  GC pause µs/activity  switches/activity  JIT µs/activity (mean)  GCs gen0/1/2 (all rounds)  receiver CPU µs/activity (mean)  server CPU µs/activity (mean)");
foreach (var mode in modes)
{
    var throughputRatios = Paired(reference, mode, r => r.PerSecond);
    var cpuRatios = Paired(mode, reference, r => r.CpuMicroseconds);
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"{mode,-20} {Median(results[mode].Select(r => r.PerSecond)),12:F1}  {Median(results[mode].Select(r => r.CpuMicroseconds)),15:F0}   {PairedRatios.Summary(throughputRatios),-37}   {PairedRatios.Summary(cpuRatios),-29}   {Median(results[mode].Select(r => r.AllocatedKiB)),12:F1}  {Median(results[mode].Select(r => r.GcPauseMicroseconds)),20:F1}  {Median(results[mode].Select(r => r.ContextSwitches)),17:F1}  {results[mode].Average(r => r.JitMicroseconds),22:F1}  {string.Join('/', Enumerable.Range(0, 3).Select(g => results[mode].Sum(r => int.Parse(r.Collections.Split('/')[g], CultureInfo.InvariantCulture)))),-26}  {receiverCpu[mode].Average(),31:F0}  {serverCpu[mode].Average(),29:F0}"));
}

// The figures the targets are about, each a median of paired throughput ratios (the slower mode's rate divides), with
// the paired ratio of CPU per activity beside it, which the machine's load moves less than wall-clock time, and that
// ratio without the time the JIT compiled in the round: code that runs once per export or interval reaches its next
// tier late, in the measured rounds, and a steady worker pays that once.
Console.WriteLine("paired ratios (median, IQR):");
Report(Monitors.None, Monitors.All, example ? "everything on against off (target <= 1.03)" : "everything on against off");
Report(Monitors.SdkMetrics, Monitors.All, "Estuary's share: everything on against the SDK's metrics only (target <= 1.03)");
Report(Monitors.None, Monitors.SdkMetrics, "the SDK's share: its metrics bridged against off");
Report(Monitors.None, Monitors.AllOtlp, "everything on, the SDK's metrics exported by the SDK core, against off");
Report(Monitors.SdkMetricsOtlp, Monitors.AllOtlp, "Estuary's share with the SDK's metrics exported by the SDK core");
Report(Monitors.AllOtlp, Monitors.All, "the SDK's metrics bridged against exported by the SDK core, everything else on");
Report(Monitors.None, Monitors.Control, "Control against off: the method's bias and noise");

if (!example)
{
    var activations = WorkflowThreads.Activations - activationsAtStart;
    var threads = WorkflowThreads.Threads - threadsAtStart;
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"workflow activations in the measured rounds: {activations}, on {threads} distinct threads ({(double)threads / Math.Max(1, activations):F3} new threads per activation), {WorkflowThreads.PoolThreads - poolThreadsAtStart} of them thread-pool threads"));
}
else
{
    Console.WriteLine($"SQL commands of off hosts kept out of the monitored host's tracing: {ExampleRun.SqlRootsDropped}");
}

var received = countsAtEnd.Bytes.Zip(countsAtStart.Bytes, (now, before) => (now - before) / 1024.0 / elapsed.TotalSeconds).ToArray();
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"OTLP receiver (its own process), measured rounds: {countsAtEnd.Requests - countsAtStart.Requests} export requests, {received.Sum():F0} KiB/s received ({string.Join(", ", signals.Zip(received, (signal, rate) => string.Create(CultureInfo.InvariantCulture, $"{signal.ToString().ToLowerInvariant()} {rate:F0}")))})"));
if (options.Contains("--inventory"))
{
    // Spans and log records come only from rounds with tracing or logs on (each round exports its own before it ends);
    // metric data points are exported every interval whatever runs, so they are given per second.
    var exporting = modes.Where(m => (m & (Monitors.Tracing | Monitors.LogsAndMetrics)) != 0).ToList();
    var workflowsExporting = exporting.Sum(m => results[m].Sum(r => r.Activities)) / (double)(example ? 2 : activities);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"exported in the measured rounds, per workflow of {string.Join(", ", exporting)} ({workflowsExporting:F0} workflows); metric data points per second:"));
    foreach (var signal in signals)
    {
        var before = countsAtStart.Items[(int)signal];
        var counted = countsAtEnd.Items[(int)signal]
            .Select(s => (Scope: s.Key, Count: s.Value - before.GetValueOrDefault(s.Key)))
            .Where(s => s.Count > 0)
            .OrderByDescending(s => s.Count)
            .ToList();
        var per = signal == OtlpSignal.Metrics ? elapsed.TotalSeconds : Math.Max(1, workflowsExporting);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {signal}: {counted.Sum(s => s.Count) / per:F2}"));
        foreach (var (scope, count) in counted)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {count / per,10:F2}  {(scope.Length == 0 ? "(no scope)" : scope)}"));
        }
    }
}

if (allocations is not null)
{
    var byMode = allocations.ByMode(results.SelectMany(m => m.Value.Select(r => (m.Key, r.Start, r.End))));
    var perActivity = modes.ToDictionary(m => m, m => results[m].Sum(r => r.Activities));
    double Kib(Monitors mode, string type) => byMode.GetValueOrDefault(mode)?.GetValueOrDefault(type) / 1024.0 / perActivity[mode] ?? 0;
    foreach (var mode in modes.Skip(1))
    {
        Console.WriteLine($"allocation sampled, {mode} against {reference}: KiB per activity by type (the 20 grown most)");
        var types = byMode.Values.SelectMany(t => t.Keys).Distinct();
        foreach (var type in types.OrderByDescending(t => Kib(mode, t) - Kib(reference, t)).Take(20))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Kib(mode, type) - Kib(reference, type),8:+0.00;-0.00}  ({Kib(reference, type):F2} -> {Kib(mode, type):F2})  {type}"));
        }
    }
}

Console.WriteLine($"OTLP exporter warnings and errors, whole run: {exportFailures.Count}{(exportFailures.First is { } first ? $" (first: {first})" : string.Empty)}");
return 0;

IReadOnlyList<double> Paired(Monitors numerator, Monitors denominator, Func<RoundResult, double> value) =>
    PairedRatios.Of([.. results[numerator].Select(value)], [.. results[denominator].Select(value)]);

void Report(Monitors faster, Monitors slower, string what)
{
    if (results.ContainsKey(faster) && results.ContainsKey(slower))
    {
        Console.WriteLine($"  {what}: {faster}/{slower} {PairedRatios.Summary(Paired(faster, slower, r => r.PerSecond))}; CPU per activity {slower}/{faster} {PairedRatios.Summary(Paired(slower, faster, r => r.CpuMicroseconds))}, without the JIT's {PairedRatios.Summary(Paired(slower, faster, r => r.CpuMicroseconds - r.JitMicroseconds))}");
    }
}

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

static int Usage(string problem)
{
    Console.Error.WriteLine($"Estuary.Monitoring.Bench: {problem} Usage: [rounds] [workflows] [activities] [--scenario trivial|example] [--breakdown] [--modes A,B] [--warmup K] [--hot-paths] [--timeline] [--inventory] [--allocations]");
    return 2;
}

static double Median(IEnumerable<double> values) => PairedRatios.Quantile(values, 0.5);
