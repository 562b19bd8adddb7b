using System.Globalization;
using Estuary.DevServer;
using Estuary.Monitoring.Bench;
using Estuary.Temporal.Monitoring;
using Temporalio.Runtime;

// Activity throughput with monitoring off and on, in one process against the embedded server. Every round runs each
// mode once, in a rotating order, so drift in machine load does not favour one.
// Usage: [rounds] [workflows per round] [activities per workflow] [--breakdown: also each part of monitoring alone]
// [--hot-paths: first time monitoring's per-activity work alone, without a server].
var numbers = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToList();
var rounds = numbers.Count > 0 ? numbers[0] : 9;
var workflows = numbers.Count > 1 ? numbers[1] : 20;
var activities = numbers.Count > 2 ? numbers[2] : 25;
Monitors[] modes = args.Contains("--breakdown")
    ? [Monitors.None, Monitors.All, Monitors.Tracing, Monitors.LogsAndMetrics, Monitors.SdkMetrics]
    : [Monitors.None, Monitors.All];

if (args.Contains("--hot-paths"))
{
    HotPaths.Run(iterations: 200_000);
    HotPaths.RunSdkMetricsBridge(iterations: 50_000);
}

await using var server = await TemporalDevServer.StartAsync(new DevServerOptions());
var runtimes = new Runtimes(new TemporalRuntime(new TemporalRuntimeOptions()), TemporalSdkMetrics.CreateRuntime());
Console.WriteLine($"{rounds} rounds, {workflows} workflows x {activities} activities per round and mode, {Environment.ProcessorCount} cores");

// Warm-up: JIT, connections, the server's first task queues; not measured.
foreach (var mode in modes)
{
    await ThroughputRun.RunAsync(server.Address, mode, workflows, activities, runtimes);
}

var results = modes.ToDictionary(m => m, _ => new List<(double PerSecond, double CpuMicroseconds)>());
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

var offRate = Median(results[Monitors.None].Select(r => r.PerSecond));
var offCpu = Median(results[Monitors.None].Select(r => r.CpuMicroseconds));
Console.WriteLine("mode            activities/s  ratio off/mode   CPU µs/activity  ratio mode/off");
foreach (var mode in modes)
{
    var rate = Median(results[mode].Select(r => r.PerSecond));
    var cpu = Median(results[mode].Select(r => r.CpuMicroseconds));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode,-15} {rate,12:F1}  {offRate / rate,14:F3}   {cpu,15:F0}  {cpu / offCpu,14:F3}"));
}

Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"target: throughput ratio off/All <= 1.03; telemetry items exported (spans, log records, metric points): {MonitoringPipeline.Exported}"));

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
