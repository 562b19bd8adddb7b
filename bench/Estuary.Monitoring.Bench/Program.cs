using System.Diagnostics;
using System.Globalization;
using Estuary.DevServer;
using Estuary.Monitoring.Bench;
using Estuary.Temporal.Monitoring;
using Temporalio.Runtime;

// Activity throughput with monitoring off and on, in one process against the embedded server. Every round runs each
// mode once, in a rotating order, so drift in machine load does not favour one; each mode is compared with "off" of the
// same round, and the median of those paired ratios is the figure.
// Usage: [rounds] [workflows per round] [activities per workflow]
//   --breakdown        also each part of monitoring alone
//   --modes A,B,...    only the modes named (the first is the reference), e.g. --modes None,SdkMetrics
//   --warmup K         K unmeasured rounds first (default 6: the JIT's tiering settles over the first ten thousand activities)
//   --hot-paths        first time monitoring's per-activity work alone, without a server
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
    else if (args[i] is not ("--breakdown" or "--hot-paths"))
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
    ? [Monitors.None, Monitors.All, Monitors.Tracing, Monitors.LogsAndMetrics, Monitors.SdkMetrics]
    : [Monitors.None, Monitors.All];
if (valued.TryGetValue("--modes", out var named))
{
    var parsed = named.Split(',').Select(m => (Name: m, Known: Enum.TryParse<Monitors>(m, ignoreCase: true, out var mode) && !int.TryParse(m, out _), Mode: mode)).ToList();
    if (parsed.FirstOrDefault(p => !p.Known) is { Name: { } unknown })
    {
        return Usage($"--modes: '{unknown}' is not a mode (None, All, Tracing, LogsAndMetrics, SdkMetrics, SdkMetricsDiscarded).");
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
// provider, providers, listeners) cost every round fresh JIT work that a running worker never pays.
using var pipeline = new MonitoringPipeline();
var runtimes = new Runtimes(new TemporalRuntime(new TemporalRuntimeOptions()), TemporalSdkMetrics.CreateRuntime(), DiscardingSdkMeter.CreateRuntime(), pipeline);
Console.WriteLine($"{rounds} rounds, {workflows} workflows x {activities} activities per round and mode, {Environment.ProcessorCount} cores");

// Warm-up: JIT tiering, connections, the server's first task queues; not measured.
for (var round = 0; round < warmup; round++)
{
    foreach (var mode in modes)
    {
        await ThroughputRun.RunAsync(server.Address, mode, workflows, activities, runtimes);
    }
}

// On Linux the stopwatch reads CLOCK_MONOTONIC: bench/monitoring-perf-share.sh keeps only the samples after this line.
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"measured rounds start at {Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency:F6} s (monotonic clock)"));
var results = modes.ToDictionary(m => m, _ => new List<RoundResult>());
for (var round = 0; round < rounds; round++)
{
    for (var i = 0; i < modes.Length; i++)
    {
        var mode = modes[(round + i) % modes.Length];
        results[mode].Add(await ThroughputRun.RunAsync(server.Address, mode, workflows, activities, runtimes));
    }

    Console.WriteLine(string.Join(
        " | ",
        modes.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m}: {results[m][^1].PerSecond:F0}/s {results[m][^1].CpuMicroseconds:F0} µs"))));
}

// Each mode against the reference (the first mode: monitoring off unless --modes says otherwise) of the same round.
var reference = modes[0];
Console.WriteLine($"mode            activities/s  CPU µs/activity   throughput {reference}/mode (median, IQR)   CPU mode/{reference} (median, IQR)   KiB/activity  switches/activity");
foreach (var mode in modes)
{
    var rate = Median(results[mode].Select(r => r.PerSecond));
    var cpu = Median(results[mode].Select(r => r.CpuMicroseconds));
    var allocated = Median(results[mode].Select(r => r.AllocatedKiB));
    var switches = Median(results[mode].Select(r => r.ContextSwitches));
    var throughputRatios = results[mode].Zip(results[reference], (m, r) => r.PerSecond / m.PerSecond).ToList();
    var cpuRatios = results[mode].Zip(results[reference], (m, r) => m.CpuMicroseconds / r.CpuMicroseconds).ToList();
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"{mode,-15} {rate,12:F1}  {cpu,15:F0}   {Median(throughputRatios),10:F3} ({Quantile(throughputRatios, 0.25):F3}–{Quantile(throughputRatios, 0.75):F3})        {Median(cpuRatios),10:F3} ({Quantile(cpuRatios, 0.25):F3}–{Quantile(cpuRatios, 0.75):F3})   {allocated,12:F1}  {switches,17:F1}"));
}

Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"target: median throughput ratio None/All <= 1.03; telemetry items exported (spans, log records, metric points): {MonitoringPipeline.Exported}"));

return 0;

static int Usage(string problem)
{
    Console.Error.WriteLine($"Estuary.Monitoring.Bench: {problem} Usage: [rounds] [workflows] [activities] [--breakdown] [--modes A,B] [--warmup K] [--hot-paths]");
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
