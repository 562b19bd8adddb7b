using Estuary.DevServer.Runs;
using Estuary.DevServer.Runs.Lifecycles;
using Estuary.DevServer.Time;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace Estuary.DevServer.Tests.Lifecycles;

public sealed class ChildWorkflowLifecycleTests
{
    private static HistoryEvent ChildCompleted(string? nextRunId = null) => new()
    {
        EventType = EventType.WorkflowExecutionCompleted,
        WorkflowExecutionCompletedEventAttributes = new() { Result = new Payloads(), NewExecutionRunId = nextRunId ?? "" },
    };

    private static (LifecycleHarness Harness, ChildWorkflowLifecycle Child) Initiated()
    {
        var harness = new LifecycleHarness();
        harness.StartWorkflowTask();
        harness.CompleteWorkflowTask(Commands.StartChild("child-1"));
        return (harness, harness.Run.Children.Values.Single());
    }

    [Fact]
    public void StartChildCommand_ChildStartsAndCompletes_ParentRecordsStartedThenCompleted()
    {
        var (harness, child) = Initiated();
        Assert.Equal(("start child child-1", ParentClosePolicy.Terminate), (harness.Effects.Single(), child.Initiated.ParentClosePolicy));

        child.RecordStarted(harness.Run, "child-run");
        Assert.True(child.RecordClosed(harness.Run, "child-run", ChildCompleted()));

        Assert.Equal(
            [EventType.StartChildWorkflowExecutionInitiated, EventType.ChildWorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.ChildWorkflowExecutionCompleted],
            harness.EventTypes()[^4..]);
        var started = harness.Run.History.Events[^3];
        Assert.Equal(started.EventId, harness.Run.History.Events[^1].ChildWorkflowExecutionCompletedEventAttributes.StartedEventId);
        Assert.Empty(harness.Run.Children);
    }

    [Fact]
    public void ChildStartsAndCompletes_WhileTheParentsTaskRuns_BothAreWrittenAfterItWithTheStartedEventsId()
    {
        var (harness, child) = Initiated();
        harness.Run.Signal("poke", null, "client", null);
        harness.StartWorkflowTask();

        child.RecordStarted(harness.Run, "child-run");
        child.RecordClosed(harness.Run, "child-run", ChildCompleted());
        harness.CompleteWorkflowTask();

        var events = harness.Run.History.Events;
        Assert.Equal([EventType.WorkflowTaskCompleted, EventType.ChildWorkflowExecutionStarted, EventType.ChildWorkflowExecutionCompleted],
            events.Select(e => e.EventType).ToList()[^4..^1]);
        Assert.Equal(events[^3].EventId, events[^2].ChildWorkflowExecutionCompletedEventAttributes.StartedEventId);
    }

    [Fact]
    public void ChildContinuesAsNew_NothingIsWrittenToTheParent()
    {
        var (harness, child) = Initiated();
        child.RecordStarted(harness.Run, "child-run");
        var before = harness.EventTypes();

        Assert.False(child.RecordClosed(harness.Run, "child-run", ChildCompleted(nextRunId: "child-run-2")));

        Assert.Equal(before, harness.EventTypes());
        Assert.Single(harness.Run.Children);
    }
}

public sealed class RunChainTests
{
    private static Temporalio.Api.History.V1.WorkflowExecutionStartedEventAttributes Started(RetryPolicy? retry = null, string cron = "") => new()
    {
        WorkflowType = new WorkflowType { Name = "Test" },
        TaskQueue = new Temporalio.Api.TaskQueue.V1.TaskQueue { Name = "tq", Kind = TaskQueueKind.Normal },
        WorkflowTaskTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
        Attempt = 1,
        RetryPolicy = retry is null ? null : RetryPolicies.WithDefaults(retry),
        CronSchedule = cron,
    };

    [Fact]
    public void FailCommand_RetryPolicyAllowsAnotherAttempt_ClosesAndStartsItAfterTheBackoff()
    {
        var harness = new LifecycleHarness(Started(new RetryPolicy { InitialInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)) }));
        harness.StartWorkflowTask();

        harness.CompleteWorkflowTask(Commands.Fail("boom"));

        var failed = harness.Run.History.Events[^1].WorkflowExecutionFailedEventAttributes;
        var next = Assert.Single(harness.NextRuns);
        Assert.Equal((RetryState.InProgress, next.RunId), (failed.RetryState, failed.NewExecutionRunId));
        Assert.Equal((WorkflowExecutionStatus.Failed, next.RunId), (harness.Run.Status, harness.Run.NextRunId));
        Assert.Equal((2, ContinueAsNewInitiator.Retry, "boom"), (next.Started.Attempt, next.Started.Initiator, next.Started.ContinuedFailure.Message));
        Assert.Equal([EventType.WorkflowExecutionStarted], harness.EventTypes(next));
        harness.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled], harness.EventTypes(next));
    }

    [Fact]
    public void CompleteCommand_CronRun_StartsTheNextRunAtTheNextScheduledTimeWithTheResult()
    {
        var harness = new LifecycleHarness(Started(cron: "@hourly"));
        harness.StartWorkflowTask();

        harness.CompleteWorkflowTask(Commands.Complete("42"));

        var next = Assert.Single(harness.NextRuns);
        var expectedBackoff = CronSchedule.Parse("@hourly").Next(harness.Now)!.Value - harness.Now;
        Assert.Equal((ContinueAsNewInitiator.CronSchedule, expectedBackoff), (next.Started.Initiator, next.Started.FirstWorkflowTaskBackoff.ToTimeSpan()));
        Assert.Equal("42", next.Started.LastCompletionResult.Payloads_.Single().Data.ToStringUtf8());
        Assert.Equal(next.RunId, harness.Run.History.Events[^1].WorkflowExecutionCompletedEventAttributes.NewExecutionRunId);
    }

    [Fact]
    public void ContinueAsNewCommand_StartsTheNewRunsFirstTaskAtOnce()
    {
        var harness = new LifecycleHarness();
        harness.StartWorkflowTask();

        harness.CompleteWorkflowTask(Commands.ContinueAsNew());

        var next = Assert.Single(harness.NextRuns);
        Assert.Equal(next.RunId, harness.Run.History.Events[^1].WorkflowExecutionContinuedAsNewEventAttributes.NewExecutionRunId);
        Assert.Equal(WorkflowExecutionStatus.ContinuedAsNew, harness.Run.Status);
        Assert.Equal([EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled], harness.EventTypes(next));
    }

    [Fact]
    public void Terminate_RetryingCronRun_EndsTheChain()
    {
        var harness = new LifecycleHarness(Started(new RetryPolicy(), cron: "@hourly"));

        harness.Run.Terminate("stop", null, "test");

        Assert.Empty(harness.NextRuns);
        Assert.Equal("closed run-1 with 0 open children", harness.Effects.Single());
    }
}
