using System.Diagnostics;
using System.Globalization;
using Estuary.Temporal.Encryption;
using Estuary.Testing;
using Estuary.Worker.Example;
using Estuary.Worker.Example.Data;
using Estuary.Worker.Example.Workflows;
using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;
using Estuary.Encryption.Bench;
using Temporalio.Client;

// Usage: Estuary.Encryption.Bench [rounds=20] [workflows=200] [--warmup K] [--count] [--timeline]
//   --warmup K   at least K unmeasured rotations first (default 10), more while the throughput or the JIT still moves
//   --count      after the measured rounds, one more round of the encrypting host counting its codec's calls, payloads
//                and bytes per workflow by caller (client, workflow worker, activity worker)
//   --timeline   print when each measured round ran (monotonic clock), to file profiler samples by mode
var numbers = new List<int>();
var warmup = 10;
var count = false;
var timeline = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--count":
            count = true;
            break;
        case "--timeline":
            timeline = true;
            break;
        case "--warmup" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out warmup):
            i++;
            break;
        default:
            if (!int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
            {
                Console.Error.WriteLine($"Estuary.Encryption.Bench: '{args[i]}' is neither an option nor a positive count. Usage: [rounds=20] [workflows=200] [--warmup K] [--count] [--timeline]");
                return 2;
            }

            numbers.Add(number);
            break;
    }
}

var rounds = numbers.Count > 0 ? numbers[0] : 20;
var workflows = numbers.Count > 1 ? numbers[1] : 200;
var inv = CultureInfo.InvariantCulture;

// 1. The codec alone: encrypt and decrypt one payload at a time, as the SDK hands them over (its payloads are mostly
// under 200 bytes). The codec completes synchronously, so this thread's allocation counts every byte of a call.
var codec = TestEncryption.Options.CreateCodec()!;
Console.WriteLine("Codec (AES-256-GCM), one payload per call:");
foreach (var size in new[] { 128, 1024, 64 * 1024 })
{
    var data = new byte[size];
    Random.Shared.NextBytes(data);
    var payload = new Payload { Metadata = { ["encoding"] = ByteString.CopyFromUtf8("json/plain") }, Data = ByteString.CopyFrom(data) };
    var iterations = size <= 1024 ? 100_000 : 5_000;
    IReadOnlyCollection<Payload> one = [payload];
    var encrypted = await codec.EncodeAsync(one);
    // As many calls to warm up as to measure: fewer left the first size measured partly before the JIT's final tier.
    for (var i = 0; i < iterations; i++)
    {
        await codec.DecodeAsync(await codec.EncodeAsync(one));
    }

    var allocated = GC.GetAllocatedBytesForCurrentThread();
    var encode = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        await codec.EncodeAsync(one);
    }

    encode.Stop();
    var encodeBytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / iterations;
    allocated = GC.GetAllocatedBytesForCurrentThread();
    var decode = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        await codec.DecodeAsync(encrypted);
    }

    decode.Stop();
    var decodeBytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / iterations;
    double Micro(Stopwatch s) => s.Elapsed.TotalMicroseconds / iterations;
    double Mib(Stopwatch s) => size * (double)iterations / (1024 * 1024) / s.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(inv,
        $"  {(size < 1024 ? $"{size} B" : $"{size / 1024} KiB"),6}: encode {Micro(encode),8:0.00} µs ({Mib(encode),6:0} MiB/s, {encodeBytes,6} B allocated), decode {Micro(decode),8:0.00} µs ({Mib(decode),6:0} MiB/s, {decodeBytes,6} B allocated), {iterations} calls each"));
}

// 2. The Example domain end to end (two activities on PostgreSQL per workflow): one worker host with encryption off
// (the reference), one with it on, and a second one with it off (the control, whose ratio to the reference is the
// method's own bias and noise), each on its own database and task queue, all running throughout. Every rotation runs a
// round of each, in an order that rotates, and each mode is compared with the reference of the same rotation.
// Temporal's server runs in a process of its own, as beside any worker process: this process's CPU time and garbage
// collections are the hosts' (clients and workers) only, and the server's CPU is read apart.
using var server = await DevServerProcess.StartAsync();
await using var postgres = new LocalPostgres();
await postgres.StartAsync();
Mode[] modes = [Mode.Off, Mode.On, Mode.Control];
var runs = new Dictionary<Mode, Run>();
foreach (var mode in modes)
{
    runs[mode] = await StartAsync(mode);
}

Console.WriteLine(string.Create(inv, $"Example workflow, {workflows} workflows at once per round, {rounds} rotations of {string.Join(", ", modes)}; Temporal server: process {server.ProcessId}; load average {LoadAverage()}"));

// Warm-up, not measured: the JIT, the thread pool, the server's and PostgreSQL's caches. At least `warmup` rotations,
// then more while a rotation's throughput moved by more than 5 % from the one before or the JIT compiled for more than
// 1 % of its time, up to MaxExtraWarmup more.
const int MaxExtraWarmup = 20;
var warmupRotations = 0;
for (double previous = 0, change = 1, jitShare = 1; warmupRotations < warmup || ((change > 0.05 || jitShare > 0.01) && warmupRotations < warmup + MaxExtraWarmup); warmupRotations++)
{
    var jit = System.Runtime.JitInfo.GetCompilationTime();
    var clock = Stopwatch.StartNew();
    var rates = new List<double>();
    foreach (var mode in modes)
    {
        rates.Add((await RoundAsync(runs[mode])).PerSecond);
    }

    jitShare = (System.Runtime.JitInfo.GetCompilationTime() - jit) / clock.Elapsed;
    var rate = rates.Average();
    change = Math.Abs((rate / previous) - 1);
    previous = rate;
    Console.WriteLine(string.Create(inv, $"  warm-up {warmupRotations + 1,2}: {rate,6:0.0} workflows/s (mean of the modes), JIT {jitShare:P1} of the time"));
}

var results = modes.ToDictionary(m => m, _ => new List<Round>());
for (var rotation = 0; rotation < rounds; rotation++)
{
    for (var i = 0; i < modes.Length; i++)
    {
        var mode = modes[(rotation + i) % modes.Length];
        var round = await RoundAsync(runs[mode]);
        results[mode].Add(round);
        if (timeline)
        {
            Console.WriteLine(string.Create(inv, $"round {mode} {round.Start:F6} {round.End:F6} {workflows}"));
        }
    }

    Console.WriteLine(string.Create(inv, $"  rotation {rotation + 1,2}: ") + string.Join(" | ", modes.Select(m => string.Create(inv, $"{m} {results[m][^1].PerSecond,6:0.0} workflows/s {results[m][^1].CpuMicroseconds,6:0} µs CPU (server {results[m][^1].ServerCpuMicroseconds,5:0})"))));
}

Console.WriteLine(string.Create(inv, $"warm-up rotations: {warmupRotations}; load average {LoadAverage()}"));
Console.WriteLine("mode       workflows/s  CPU µs/workflow  KiB/workflow   throughput Off/mode (median, IQR)   CPU mode/Off (median, IQR)     server CPU µs/workflow (mean)");
foreach (var mode in modes)
{
    Console.WriteLine(string.Create(inv,
        $"{mode,-9} {PairedRatios.Quantile(results[mode].Select(r => r.PerSecond), 0.5),12:0.0}  {PairedRatios.Quantile(results[mode].Select(r => r.CpuMicroseconds), 0.5),15:0}  {PairedRatios.Quantile(results[mode].Select(r => r.AllocatedKiB), 0.5),12:0.0}   {Paired(Mode.Off, mode, r => r.PerSecond),-35}   {Paired(mode, Mode.Off, r => r.CpuMicroseconds),-29}  {results[mode].Average(r => r.ServerCpuMicroseconds),13:0}"));
}

Console.WriteLine($"encryption: off/on throughput {Paired(Mode.Off, Mode.On, r => r.PerSecond)}, target ≤ 1.05; CPU per workflow on/off {Paired(Mode.On, Mode.Off, r => r.CpuMicroseconds)}");
Console.WriteLine($"control (the method's bias and noise): off/control throughput {Paired(Mode.Off, Mode.Control, r => r.PerSecond)}; CPU control/off {Paired(Mode.Control, Mode.Off, r => r.CpuMicroseconds)}");

if (count && runs[Mode.On].Codec is { } counting)
{
    counting.Counting = true;
    await RoundAsync(runs[Mode.On]);
    counting.Counting = false;
    Console.WriteLine(string.Create(inv, $"codec calls of the encrypting host per workflow (one round of {workflows}), by caller:"));
    foreach (var ((site, direction), tally) in counting.Tallies.OrderBy(t => t.Key.Site).ThenBy(t => t.Key.Direction))
    {
        Console.WriteLine(string.Create(inv,
            $"  {site,-16} {direction}: {tally.Calls / (double)workflows,5:0.00} calls, {tally.Payloads / (double)workflows,5:0.00} payloads, {tally.BytesIn / (double)workflows,7:0} bytes in, {tally.BytesOut / (double)workflows,7:0} bytes out"));
    }
}

foreach (var run in runs.Values)
{
    await run.Host.StopAsync();
    run.Host.Dispose();
}

return 0;

string Paired(Mode numerator, Mode denominator, Func<Round, double> value) =>
    PairedRatios.Summary(PairedRatios.Of([.. results[numerator].Select(value)], [.. results[denominator].Select(value)]));

async Task<Run> StartAsync(Mode mode)
{
    var taskQueue = $"bench-encryption-{mode}-{Guid.NewGuid():N}";
    var database = LocalPostgres.Pooled(await postgres.CreateDatabaseAsync($"bench_{mode.ToString().ToLowerInvariant()}"), sharedBy: modes.Length);
    var settings = new Dictionary<string, string?>
    {
        ["ConnectionStrings:example-db"] = database,
        ["Estuary:Worker:TaskQueue"] = taskQueue,
        ["Estuary:Encryption:Enabled"] = mode == Mode.On ? "true" : "false",
    };
    CountingCodec? codec = null;
    var host = WorkerHost.Build(server.Address, settings, builder =>
    {
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (count && mode == Mode.On)
        {
            // The workers built on the client use its data converter too.
            builder.Services.PostConfigure<TemporalClientConnectOptions>(client =>
                client.DataConverter = client.DataConverter with { PayloadCodec = codec = new CountingCodec(client.DataConverter.PayloadCodec!) });
        }
    }, new ExampleDomain());
    await host.StartAsync();
    return new Run(host, taskQueue, codec);
}

// Creates one entity per workflow (not measured), then starts every workflow at once and waits for each result; the
// round's wall-clock time, the CPU time and managed allocation of this process (the three hosts' clients and workers)
// and the CPU time of the server's process, from the first start to the last result.
async Task<Round> RoundAsync(Run run)
{
    List<int> ids;
    await using (var scope = run.Host.Services.CreateAsyncScope())
    {
        var db = scope.ServiceProvider.GetRequiredService<ExampleDbContext>();
        var created = Enumerable.Range(0, workflows).Select(i => new ExampleEntity { Name = $"bench {i}", CreatedAt = DateTimeOffset.UtcNow }).ToList();
        db.Entities.AddRange(created);
        await db.SaveChangesAsync();
        ids = [.. created.Select(e => e.Id)];
    }

    var client = run.Host.Services.GetRequiredService<ITemporalClient>();
    using var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var serverCpu = server.CpuTime();
    var allocated = GC.GetTotalAllocatedBytes();
    var start = Stopwatch.GetTimestamp();
    var handles = await Task.WhenAll(ids.Select(id =>
        client.StartWorkflowAsync((ExampleWorkflow wf) => wf.RunAsync(id), new($"{run.TaskQueue}-{id}", run.TaskQueue))));
    var results = await Task.WhenAll(handles.Select(h => h.GetResultAsync()));
    var end = Stopwatch.GetTimestamp();
    var serverCpuUsed = server.CpuTime() - serverCpu;
    process.Refresh();
    if (results.Any(r => r.Status != "completed"))
    {
        throw new InvalidOperationException("An example workflow did not complete its entity.");
    }

    return new Round(
        workflows / Stopwatch.GetElapsedTime(start, end).TotalSeconds,
        (process.TotalProcessorTime - cpu).TotalMicroseconds / workflows,
        serverCpuUsed.TotalMicroseconds / workflows,
        (GC.GetTotalAllocatedBytes() - allocated) / 1024.0 / workflows,
        start / (double)Stopwatch.Frequency,
        end / (double)Stopwatch.Frequency);
}

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

/// <summary>A worker host: encryption off (the reference), on, or off again (the control).</summary>
internal enum Mode
{
    Off,
    On,
    Control,
}

/// <summary>One mode's worker host, its task queue, and its counting codec when the run counts.</summary>
internal sealed record Run(IHost Host, string TaskQueue, CountingCodec? Codec);

/// <summary>One round's figures: workflows per second, this process's CPU time, the server process's CPU time (10 ms
/// ticks) and this process's allocation per workflow, and when it ran (seconds of the monotonic clock).</summary>
internal sealed record Round(double PerSecond, double CpuMicroseconds, double ServerCpuMicroseconds, double AllocatedKiB, double Start, double End);
