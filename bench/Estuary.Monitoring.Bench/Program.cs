using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Estuary.DevServer;
using Estuary.Monitoring.Bench;
using Estuary.Temporal.Monitoring;
using Temporalio.Runtime;

// Activity throughput with monitoring off and on, in one process against the embedded server. Every round runs each
// mode once, in a rotating order, so drift in machine load does not favour one; each mode is compared with "off" of the
// same round, and the median of those paired ratios is the figure.
// Usage: [rounds] [workflows per round] [activities per workflow]
//   --breakdown        also each part of monitoring alone, the SDK's metrics into a meter that drops them, and Control
//   --modes A,B,...    only the modes named (the first is the reference), e.g. --modes None,SdkMetrics
//   --warmup K         at least K unmeasured rounds first (default 6), more while the JIT still compiles
//   --hot-paths        first time monitoring's per-activity work alone, without a server
//   --timeline         print when each measured round ran (monotonic clock), for bench/monitoring-perf-share.sh
var options = new HashSet<string>(args, StringComparer.Ordinal);
var valued = new Dictionary<string, string>(StringComparer.Ordinal);
var numbers = new List<int>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] is "--modes" or "--warmup")
    {
        if (i + 1 >= args.Length)
        {
            return Usage($"{args[i]} needs a value.");
        }

        valued[args[i]] = args[++i];
    }
    else if (args[i] is not ("--breakdown" or "--hot-paths" or "--timeline"))
    {
        if (!int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
        {
            return Usage($"'{args[i]}' is neither an option nor a positive count.");
        }

        numbers.Add(number);
    }
}

var rounds = numbers.Count > 0 ? numbers[0] : 15;
var workflows = numbers.Count > 1 ? numbers[1] : 40;
var activities = numbers.Count > 2 ? numbers[2] : 25;
var warmup = 6;
if (valued.TryGetValue("--warmup", out var w) && !int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out warmup))
{
    return Usage($"--warmup takes a count of rounds, not '{w}'.");
}

Monitors[] modes = options.Contains("--breakdown")
    ? [Monitors.None, Monitors.All, Monitors.Tracing, Monitors.LogsAndMetrics, Monitors.SdkMetrics, Monitors.SdkMetricsDiscarded, Monitors.Control]
    : [Monitors.None, Monitors.All];
if (valued.TryGetValue("--modes", out var named))
{
    var parsed = named.Split(',').Select(m => (Name: m, Known: Enum.TryParse<Monitors>(m, ignoreCase: true, out var mode) && !int.TryParse(m, out _), Mode: mode)).ToList();
    if (parsed.FirstOrDefault(p => !p.Known) is { Name: { } unknown })
    {
        return Usage($"--modes: '{unknown}' is not a mode (None, All, Tracing, LogsAndMetrics, SdkMetrics, SdkMetricsDiscarded, Control).");
    }

    modes = [.. parsed.Select(p => p.Mode).Distinct()];
}

if (options.Contains("--hot-paths"))
{
    HotPaths.Run(iterations: 200_000);
    HotPaths.RunSdkMetricsBridge(iterations: 50_000);
}

await using var server = await TemporalDevServer.StartAsync(new DevServerOptions());
// One telemetry pipeline for the whole process, as a worker has: building one per round (a logger factory's service
// provider, providers, listeners) would cost every round fresh JIT work that a running worker never pays.
using var pipeline = new MonitoringPipeline();
var runtimes = new Runtimes(
    new TemporalRuntime(new TemporalRuntimeOptions()),
    TemporalSdkMetrics.CreateRuntime(),
    DiscardingSdkMeter.CreateRuntime(),
    new TemporalRuntime(new TemporalRuntimeOptions()),
    pipeline);
Console.WriteLine($"{rounds} rounds, {workflows} workflows x {activities} activities per round and mode, {Environment.ProcessorCount} cores");

// One client and worker per mode for the whole run, as a worker process has; idle between their rounds.
var runs = new Dictionary<Monitors, ThroughputRun>();
foreach (var mode in modes)
{
    runs[mode] = await ThroughputRun.StartAsync(server.Address, mode, runtimes);
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
        await runs[mode].RunAsync(workflows, activities);
    }

    jitShare = (JitInfo.GetCompilationTime() - jitBefore) / rotation.Elapsed;
}

var jitAtStart = JitInfo.GetCompilationTime();
var measured = Stopwatch.StartNew();

var results = modes.ToDictionary(m => m, _ => new List<RoundResult>());
for (var round = 0; round < rounds; round++)
{
    for (var i = 0; i < modes.Length; i++)
    {
        var mode = modes[(round + i) % modes.Length];
        var result = await runs[mode].RunAsync(workflows, activities);
        results[mode].Add(result);
        if (options.Contains("--timeline"))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {mode} {result.Start:F6} {result.End:F6} {workflows * activities} {result.Collections}"));
        }
    }

    Console.WriteLine(string.Join(
        " | ",
        modes.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m}: {results[m][^1].PerSecond:F0}/s {results[m][^1].CpuMicroseconds:F0} µs"))));
}

var jitMeasured = JitInfo.GetCompilationTime() - jitAtStart;
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"warm-up rounds: {warmupRounds}; JIT compiling during the measured rounds: {jitMeasured.TotalMilliseconds:F0} ms, {jitMeasured / measured.Elapsed:P1} of their wall-clock time"));
foreach (var run in runs.Values)
{
    await run.DisposeAsync();
}

// Each mode against the reference (the first mode: monitoring off unless --modes says otherwise) of the same round.
var reference = modes[0];
Console.WriteLine($"mode                 activities/s  CPU µs/activity   throughput {reference}/mode (median, IQR)   CPU mode/{reference} (median, IQR)   KiB/activity  GC pause µs/activity  switches/activity");
foreach (var mode in modes)
{
    var rate = Median(results[mode].Select(r => r.PerSecond));
    var cpu = Median(results[mode].Select(r => r.CpuMicroseconds));
    var allocated = Median(results[mode].Select(r => r.AllocatedKiB));
    var switches = Median(results[mode].Select(r => r.ContextSwitches));
    var pause = Median(results[mode].Select(r => r.GcPauseMicroseconds));
    var throughputRatios = results[mode].Zip(results[reference], (m, r) => r.PerSecond / m.PerSecond).ToList();
    var cpuRatios = results[mode].Zip(results[reference], (m, r) => m.CpuMicroseconds / r.CpuMicroseconds).ToList();
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"{mode,-20} {rate,12:F1}  {cpu,15:F0}   {Median(throughputRatios),10:F3} ({Quantile(throughputRatios, 0.25):F3}–{Quantile(throughputRatios, 0.75):F3})        {Median(cpuRatios),10:F3} ({Quantile(cpuRatios, 0.25):F3}–{Quantile(cpuRatios, 0.75):F3})   {allocated,12:F1}  {pause,20:F1}  {switches,17:F1}"));
}

Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"target: median throughput ratio None/All <= 1.03; telemetry items exported (spans, log records, metric points): {MonitoringPipeline.Exported}"));

return 0;

static int Usage(string problem)
{
    Console.Error.WriteLine($"Estuary.Monitoring.Bench: {problem} Usage: [rounds] [workflows] [activities] [--breakdown] [--modes A,B] [--warmup K] [--hot-paths] [--timeline]");
    return 2;
}

static double Median(IEnumerable<double> values) => Quantile(values.ToList(), 0.5);

// Linear interpolation between the closest ranks.
static double Quantile(IReadOnlyCollection<double> values, double q)
{
    var sorted = values.Order().ToList();
    var position = (sorted.Count - 1) * q;
    var below = (int)Math.Floor(position);
    var above = (int)Math.Ceiling(position);
    return sorted[below] + ((sorted[above] - sorted[below]) * (position - below));
}
