using System.Diagnostics;
using System.Globalization;
using Estuary.Bookings.Bench;
using Estuary.Testing;
using Estuary.Worker.Bookings;
using Estuary.Worker.Bookings.Data;
using Estuary.Worker.Bookings.Workflows;
using Estuary.Worker.Payments;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;

// Usage: Estuary.Bookings.Bench [runs=10] [--trace FILE] [--unpooled]
//   Runs a booking's whole lifecycle (reserve, pay through the Payments worker, confirm, reminder 24 h before, session,
//   completion, then the 30-day follow-up with its daily checks and continue-as-new) on the time-skipping embedded
//   server, once to warm up and then `runs` times, and prints each run's wall time with the median, min and max.
//   --trace FILE writes the server's debug log (one line per RPC and per time skip, in ms since start) to FILE.
//   --unpooled gives the workers database connections without a pool (one new PostgreSQL connection per activity),
//   to show what pooling saves.
var runs = 10;
string? tracePath = null;
var pooled = true;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--trace" && i + 1 < args.Length)
    {
        tracePath = args[++i];
    }
    else if (args[i] == "--unpooled")
    {
        pooled = false;
    }
    else if (int.TryParse(args[i], CultureInfo.InvariantCulture, out var n) && n > 0)
    {
        runs = n;
    }
    else
    {
        Console.Error.WriteLine($"Unknown argument '{args[i]}': usage: Estuary.Bookings.Bench [runs=10] [--trace FILE] [--unpooled]");
        return 2;
    }
}

using var trace = tracePath is null ? null : new TraceLog(tracePath);
using var loggerFactory = trace is null ? null : LoggerFactory.Create(logging =>
{
    logging.SetMinimumLevel(LogLevel.Debug);
    logging.AddFilter("Microsoft", LogLevel.Warning);
    logging.AddFilter("Grpc", LogLevel.Warning);
    logging.AddProvider(trace);
});

await using var postgres = new LocalPostgres();
await postgres.StartAsync();
await using var server = await TimeSkippingServer.StartAsync(loggerFactory);

// The workers as deployed: the domains' own activity options, pooled database connections.
async Task<string> DatabaseAsync(string name)
{
    var database = await postgres.CreateDatabaseAsync(name);
    return pooled ? LocalPostgres.Pooled(database) : database;
}

await using var payments = await WorkerProcess.StartAsync(new PaymentsDomain(), server.Address, await DatabaseAsync("bench_payments"), $"payments-{Guid.NewGuid():N}");
await using var bookings = await WorkerProcess.StartAsync(new BookingsDomain(), server.Address, await DatabaseAsync("bench_bookings"), $"bookings-{Guid.NewGuid():N}");

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"booking lifecycle: runs={runs} cores={Environment.ProcessorCount} configuration={Configuration()} pooled={pooled} load_average={LoadAverage()}"));

var warmUp = await RunLifecycleAsync("warm-up");
Console.WriteLine(Line("warm-up", warmUp));
Console.WriteLine(await TaskCountsAsync(warmUp.WorkflowId));

var wallTimes = new List<double>(runs);
for (var run = 1; run <= runs; run++)
{
    var measured = await RunLifecycleAsync($"run-{run}");
    wallTimes.Add(measured.Wall.TotalMilliseconds);
    Console.WriteLine(Line($"run {run}", measured));
}

wallTimes.Sort();
var median = wallTimes.Count % 2 == 1 ? wallTimes[wallTimes.Count / 2] : (wallTimes[(wallTimes.Count / 2) - 1] + wallTimes[wallTimes.Count / 2]) / 2;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"wall time per lifecycle after warm-up: median={median:F0}ms min={wallTimes[0]:F0}ms max={wallTimes[^1]:F0}ms load_average={LoadAverage()}"));
return 0;

// One lifecycle, timed from the start of the booking to the result of the follow-up's last run, and checked: a run that
// did less than the whole lifecycle must not produce a figure.
async Task<Lifecycle> RunLifecycleAsync(string name)
{
    var startedAt = await server.NowAsync();
    var reference = $"bench-{name}-{Guid.NewGuid():N}";
    var input = new BookingInput(reference, "ada@example.org", $"dr-{Guid.NewGuid():N}", "massage-60", startedAt.AddDays(2), TimeSpan.FromHours(1), 6000, "EUR",
        PaymentsTaskQueue: payments.TaskQueue, FollowUpDays: 30);
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    trace?.Mark($"LIFECYCLE START {name}");
    var wall = Stopwatch.StartNew();

    var handle = await server.Client.StartWorkflowAsync((BookingWorkflow wf) => wf.RunAsync(input), new($"booking-{reference}", bookings.TaskQueue));
    var state = await server.SkippingTimeAsync(() => handle.GetResultAsync());
    var followUp = server.Client.GetWorkflowHandle<BookingFollowUpWorkflow>(state.FollowUpWorkflowId ?? throw new InvalidOperationException($"{name}: no follow-up: {state}"));
    var followedUp = await server.SkippingTimeAsync(() => followUp.GetResultAsync<FollowUpResult>());

    wall.Stop();
    trace?.Mark($"LIFECYCLE END {name}");
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    var simulated = await server.NowAsync() - startedAt;
    if (state.Status != BookingStatus.Completed || state.ReminderSentFor != input.StartsAt || state.CaptureId is null
        || followedUp is not { ReviewReceived: false, DaysChecked: 30, Runs: 5 } || simulated < TimeSpan.FromDays(32))
    {
        throw new InvalidOperationException($"{name}: not the whole lifecycle: {state}, {followedUp}, {simulated.TotalDays:F1} simulated days");
    }

    return new Lifecycle(handle.Id, wall.Elapsed, cpu, simulated);
}

// Workflow tasks and activities of one lifecycle (the booking, its payment, every follow-up run), from their histories.
async Task<string> TaskCountsAsync(string workflowId)
{
    var (runCount, workflowTasks, activities, timers) = (0, 0, 0, 0);
    await foreach (var execution in server.Client.ListWorkflowsAsync($"WorkflowId STARTS_WITH '{workflowId}'"))
    {
        runCount++;
        await foreach (var e in server.Client.GetWorkflowHandle(execution.Id, runId: execution.RunId).FetchHistoryEventsAsync())
        {
            workflowTasks += e.EventType == EventType.WorkflowTaskCompleted ? 1 : 0;
            activities += e.EventType == EventType.ActivityTaskCompleted ? 1 : 0;
            timers += e.EventType == EventType.TimerFired ? 1 : 0;
        }
    }

    return $"one lifecycle: {runCount} workflow runs, {workflowTasks} workflow tasks, {activities} activities, {timers} timers fired";
}

static string Line(string name, Lifecycle run) => string.Create(CultureInfo.InvariantCulture,
    $"{name}: wall={run.Wall.TotalMilliseconds:F0}ms process_cpu={run.Cpu.TotalMilliseconds:F0}ms simulated={run.Simulated.TotalDays:F1}d");

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static string Configuration() =>
#if DEBUG
    "Debug";
#else
    "Release";
#endif

/// <summary>One measured lifecycle.</summary>
/// <param name="WorkflowId">The booking workflow's id.</param>
/// <param name="Wall">Wall time from the booking's start to the follow-up's result.</param>
/// <param name="Cpu">CPU time of this process (server, both workers, client) meanwhile; PostgreSQL's is not counted.</param>
/// <param name="Simulated">Server time that went by.</param>
internal sealed record Lifecycle(string WorkflowId, TimeSpan Wall, TimeSpan Cpu, TimeSpan Simulated);
