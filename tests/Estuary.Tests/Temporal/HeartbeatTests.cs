using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Workflows;
using Estuary.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Temporalio.Activities;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Workflows;

namespace Estuary.Tests.Temporal;

/// <summary>
/// Every activity of an Estuary worker heartbeats while it runs, so an attempt outlives its heartbeat timeout on a live
/// worker, and the attempt of a worker that stops is retried elsewhere after the heartbeat timeout, long before the
/// start-to-close timeout.
/// </summary>
[Collection(UsesTemporal.Name)]
public sealed class HeartbeatTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Activity_RunningLongerThanItsHeartbeatTimeout_IsKeptAliveAndCompletesOnItsFirstAttempt()
    {
        var taskQueue = $"heartbeat-alive-{Guid.NewGuid():N}";
        var station = new Station("A", blocksFirstAttempt: true);
        using var worker = Worker(taskQueue, station);
        await worker.StartAsync();
        var handle = await StartAsync(taskQueue);
        await station.Entered.Task.WaitAsync(Eventually.Patience);

        // Server time: the attempt has heartbeated past the moment its heartbeat timeout would have ended it without heartbeats.
        await Eventually.PollAsync(
            async () => (await fixture.Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
            {
                Namespace = fixture.Client.Options.Namespace,
                Execution = new() { WorkflowId = handle.Id },
            })).PendingActivities.Single(),
            pending => pending.Attempt == 1 && pending.LastHeartbeatTime is not null
                && pending.LastHeartbeatTime.ToDateTime() - pending.LastStartedTime.ToDateTime() > HeartbeatDomain.HeartbeatTimeout,
            "a heartbeat later than the heartbeat timeout after the attempt started");
        station.Release.SetResult();

        Assert.Equal("A attempt 1", await handle.GetResultAsync<string>());
        var started = (await handle.FetchHistoryAsync()).Events.Single(e => e.EventType == EventType.ActivityTaskStarted);
        Assert.Equal(1, started.ActivityTaskStartedEventAttributes.Attempt);
        await worker.StopAsync();
    }

    [Fact]
    public async Task Activity_WorkerStopsMidActivity_RetriedOnAnotherWorkerAfterTheHeartbeatTimeoutWithItsProgress()
    {
        var taskQueue = $"heartbeat-crash-{Guid.NewGuid():N}";
        var crashing = new Station("A", blocksFirstAttempt: true);
        var survivor = new Station("B", blocksFirstAttempt: false);
        using var first = Worker(taskQueue, crashing);
        await first.StartAsync();
        var handle = await StartAsync(taskQueue);
        await crashing.Entered.Task.WaitAsync(Eventually.Patience);
        await using var second = await WorkerProcess.StartAsync(Worker(taskQueue, survivor), taskQueue);

        // The first worker goes away while its attempt neither completes nor fails: as if its process had died.
        var stopping = first.StopAsync();
        var result = await handle.GetResultAsync<string>();
        crashing.Release.SetResult();
        await stopping;

        Assert.Equal("B attempt 2, resumed from item 7", result);
        var events = (await handle.FetchHistoryAsync()).Events;
        var started = events.Single(e => e.EventType == EventType.ActivityTaskStarted).ActivityTaskStartedEventAttributes;
        Assert.Equal(2, started.Attempt);
        Assert.Equal(TimeoutType.Heartbeat, started.LastFailure.TimeoutFailureInfo.TimeoutType);
        var scheduledAt = events.Single(e => e.EventType == EventType.ActivityTaskScheduled).EventTime.ToDateTime();
        var completedAt = events.Single(e => e.EventType == EventType.ActivityTaskCompleted).EventTime.ToDateTime();
        Assert.True(
            completedAt - scheduledAt < HeartbeatDomain.StartToCloseTimeout,
            $"the retry completed {completedAt - scheduledAt} (server time) after the activity was scheduled");
    }

    private IHost Worker(string taskQueue, Station station) =>
        WorkerHost.Build(
            fixture.Address,
            new Dictionary<string, string?> { ["Estuary:Worker:TaskQueue"] = taskQueue },
            builder => builder.Services.AddSingleton(station),
            new HeartbeatDomain());

    private Task<WorkflowHandle<LongStepWorkflow, string>> StartAsync(string taskQueue) =>
        fixture.Client.StartWorkflowAsync(
            (LongStepWorkflow wf) => wf.RunAsync(),
            new WorkflowOptions($"heartbeat-{Guid.NewGuid():N}", taskQueue));
}

/// <summary>A domain whose one activity runs as long as a test wants, with a short heartbeat timeout.</summary>
internal sealed class HeartbeatDomain : EstuaryDomain
{
    public static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(4);

    public static readonly TimeSpan StartToCloseTimeout = TimeSpan.FromMinutes(1);

    public override string Name => "heartbeat";

    public override string Description => "Heartbeat fixtures";

    public override IEnumerable<Type> Types => [typeof(LongStepWorkflow), typeof(LongStepActivities)];

    public override void ConfigureActivityDefaults(ActivityDefaultsOptions defaults)
    {
        defaults.HeartbeatTimeout = HeartbeatTimeout;
        defaults.StartToCloseTimeout = StartToCloseTimeout;
        defaults.InitialInterval = TimeSpan.FromMilliseconds(100);
        defaults.MaximumAttempts = 3;
    }
}

/// <summary>What one worker's activity does: its name, and whether its first attempt waits for the test.</summary>
/// <param name="name">The worker's name, in the activity's result.</param>
/// <param name="blocksFirstAttempt">Whether a first attempt waits for <see cref="Release"/>, ignoring cancellation.</param>
internal sealed class Station(string name, bool blocksFirstAttempt)
{
    public string Name => name;

    public bool BlocksFirstAttempt => blocksFirstAttempt;

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Runs the long step with the domain's defaults.</summary>
[Workflow]
public sealed class LongStepWorkflow : EstuaryWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync() => ExecuteActivityAsync((LongStepActivities a) => a.StepAsync());
}

/// <summary>A step that records its progress, then (first attempt, blocking worker) waits for the test without heeding
/// cancellation, as a process that hangs or dies would.</summary>
internal sealed class LongStepActivities(Station station)
{
    [Activity("long_step")]
    public async Task<string> StepAsync()
    {
        var context = ActivityExecutionContext.Current;
        var attempt = context.Info.Attempt;
        if (attempt == 1 && station.BlocksFirstAttempt)
        {
            context.Heartbeat("item 7");
            station.Entered.SetResult();
            await station.Release.Task;
        }

        var resumed = context.Info.HeartbeatDetails.Count > 0 ? $", resumed from {await context.Info.HeartbeatDetailAtAsync<string>(0)}" : string.Empty;
        return $"{station.Name} attempt {attempt}{resumed}";
    }
}
