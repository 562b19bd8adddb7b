using System.Diagnostics;
using System.Globalization;
using Estuary.DevServer;
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
using Temporalio.Client;

// Usage: Estuary.Encryption.Bench [rounds=10] [workflows=100]
var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var workflows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
var inv = CultureInfo.InvariantCulture;

// 1. The codec alone: encrypt and decrypt one payload at a time, as the SDK hands them over.
var codec = TestEncryption.Options.CreateCodec()!;
Console.WriteLine("Codec (AES-256-GCM), one payload per call:");
foreach (var size in new[] { 1024, 64 * 1024 })
{
    var data = new byte[size];
    Random.Shared.NextBytes(data);
    var payload = new Payload { Metadata = { ["encoding"] = ByteString.CopyFromUtf8("json/plain") }, Data = ByteString.CopyFrom(data) };
    var iterations = size <= 1024 ? 100_000 : 5_000;
    IReadOnlyCollection<Payload> one = [payload];
    var encrypted = await codec.EncodeAsync(one);
    for (var i = 0; i < iterations / 10; i++)
    {
        await codec.DecodeAsync(await codec.EncodeAsync(one));
    }

    var encode = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        await codec.EncodeAsync(one);
    }

    encode.Stop();
    var decode = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        await codec.DecodeAsync(encrypted);
    }

    decode.Stop();
    double Micro(Stopwatch s) => s.Elapsed.TotalMicroseconds / iterations;
    double Mib(Stopwatch s) => size * (double)iterations / (1024 * 1024) / s.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(inv,
        $"  {size / 1024,3} KiB: encode {Micro(encode),8:0.00} µs ({Mib(encode),6:0} MiB/s), decode {Micro(decode),8:0.00} µs ({Mib(decode),6:0} MiB/s), {iterations} calls each"));
}

// 2. The Example domain end to end (two activities on PostgreSQL per workflow), one worker host with encryption on and
// one with it off, each on its own database and task queue, alternated round by round (the order flips each round).
await using var server = await TemporalDevServer.StartAsync(new DevServerOptions());
await using var postgres = new LocalPostgres();
await postgres.StartAsync();
var on = await StartAsync(true);
var off = await StartAsync(false);
Console.WriteLine(string.Create(inv, $"Example workflow throughput, {workflows} workflows at once per round, {rounds} rounds after one warm-up round each:"));
await RoundAsync(on);
await RoundAsync(off);
var ratios = new List<double>();
for (var round = 1; round <= rounds; round++)
{
    var first = round % 2 == 1 ? on : off;
    var second = first == on ? off : on;
    var a = await RoundAsync(first);
    var b = await RoundAsync(second);
    var (rateOn, rateOff) = first == on ? (a, b) : (b, a);
    ratios.Add(rateOff / rateOn);
    Console.WriteLine(string.Create(inv, $"  round {round,2}: on {rateOn,6:0.0} workflows/s, off {rateOff,6:0.0} workflows/s, off/on {rateOff / rateOn:0.000}"));
}

ratios.Sort();
double Quantile(double q) => ratios[(int)Math.Round(q * (ratios.Count - 1))];
Console.WriteLine(string.Create(inv, $"off/on throughput ratio: median {Quantile(0.5):0.000} (interquartile {Quantile(0.25):0.000}–{Quantile(0.75):0.000}); target ≤ 1.05"));
Console.WriteLine(string.Create(inv, $"load average: {File.ReadAllText("/proc/loadavg").Trim()}"));
await on.Host.StopAsync();
await off.Host.StopAsync();

async Task<Run> StartAsync(bool encrypted)
{
    var taskQueue = $"bench-encryption-{(encrypted ? "on" : "off")}-{Guid.NewGuid():N}";
    var database = LocalPostgres.Pooled(await postgres.CreateDatabaseAsync($"bench_{(encrypted ? "on" : "off")}"));
    var settings = new Dictionary<string, string?>
    {
        ["ConnectionStrings:example-db"] = database,
        ["Estuary:Worker:TaskQueue"] = taskQueue,
        ["Estuary:Encryption:Enabled"] = encrypted ? "true" : "false",
    };
    var host = WorkerHost.Build(server.Address, settings, builder => builder.Logging.SetMinimumLevel(LogLevel.Warning), new ExampleDomain());
    await host.StartAsync();
    return new Run(host, taskQueue);
}

// Creates one entity per workflow (not timed), then starts every workflow at once and waits for each result.
async Task<double> RoundAsync(Run run)
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
    var clock = Stopwatch.StartNew();
    var handles = await Task.WhenAll(ids.Select(id =>
        client.StartWorkflowAsync((ExampleWorkflow wf) => wf.RunAsync(id), new($"{run.TaskQueue}-{id}", run.TaskQueue))));
    var results = await Task.WhenAll(handles.Select(h => h.GetResultAsync()));
    clock.Stop();
    if (results.Any(r => r.Status != "completed"))
    {
        throw new InvalidOperationException("An example workflow did not complete its entity.");
    }

    return workflows / clock.Elapsed.TotalSeconds;
}

internal sealed record Run(IHost Host, string TaskQueue);
