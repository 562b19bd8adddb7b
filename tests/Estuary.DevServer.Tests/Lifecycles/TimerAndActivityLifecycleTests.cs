using Estuary.DevServer.Runs.Lifecycles;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;

namespace Estuary.DevServer.Tests.Lifecycles;

public sealed class TimerLifecycleTests
{
    [Fact]
    public void StartTimer_DeadlinePasses_WritesTimerFiredAndSchedulesAWorkflowTask()
    {
        var harness = new LifecycleHarness();
        harness.StartWorkflowTask();
        harness.CompleteWorkflowTask(Commands.StartTimer("t1", TimeSpan.FromSeconds(5)));
        var started = harness.Now;

        Assert.Equal([started + TimeSpan.FromSeconds(5)], harness.PendingAlarms);
        harness.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(
            [EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted,
             EventType.TimerStarted, EventType.TimerFired, EventType.WorkflowTaskScheduled],
            harness.EventTypes());
        Assert.Equal(5, harness.Run.History.Events[5].TimerFiredEventAttributes.StartedEventId);
        Assert.Empty(harness.Run.Timers);
    }

    [Fact]
    public void TimerFires_WhileAWorkflowTaskRuns_IsWrittenAfterThatTaskCompletes()
    {
        var harness = new LifecycleHarness();
        harness.StartWorkflowTask();
        harness.CompleteWorkflowTask(Commands.StartTimer("t1", TimeSpan.FromSeconds(5)));
        harness.Run.Signal("poke", null, "client", null);
        harness.StartWorkflowTask();

        harness.Advance(TimeSpan.FromSeconds(5));
        var whileRunning = harness.EventTypes().Count;
        harness.CompleteWorkflowTask();

        Assert.Equal(8, whileRunning);
        Assert.Equal([EventType.WorkflowTaskCompleted, EventType.TimerFired, EventType.WorkflowTaskScheduled], harness.EventTypes()[^3..]);
    }

    [Fact]
    public void CancelTimer_BeforeItFires_WritesTimerCanceledAndNeverFires()
    {
        var harness = new LifecycleHarness();
        harness.StartWorkflowTask();
        harness.CompleteWorkflowTask(Commands.StartTimer("t1", TimeSpan.FromSeconds(5)));
        harness.Run.Signal("poke", null, "client", null);
        harness.StartWorkflowTask();
        harness.CompleteWorkflowTask(Commands.CancelTimer("t1"));

        harness.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(EventType.TimerCanceled, harness.EventTypes()[^1]);
        Assert.DoesNotContain(EventType.TimerFired, harness.EventTypes());
        Assert.Empty(harness.PendingAlarms);
    }
}

public sealed class ActivityLifecycleTests
{
    private static ActivityLifecycle ScheduleOne(LifecycleHarness harness, RetryPolicy? retry = null)
    {
        harness.StartWorkflowTask();
        harness.CompleteWorkflowTask(Commands.ScheduleActivity("a1", TimeSpan.FromSeconds(10), retry));
        return harness.Run.Activities.Values.Single();
    }

    private static Failure Broken(bool nonRetryable = false) =>
        new() { Message = "broken", ApplicationFailureInfo = new ApplicationFailureInfo { Type = "Broke", NonRetryable = nonRetryable } };

    [Fact]
    public void ScheduleActivity_WithoutRetryPolicy_GetsTemporalsDefaultsAndGoesToTheWorkflowsQueue()
    {
        var harness = new LifecycleHarness();

        var activity = ScheduleOne(harness);

        var policy = harness.Run.History.Events[^1].ActivityTaskScheduledEventAttributes.RetryPolicy;
        Assert.Equal((TimeSpan.FromSeconds(1), 2.0, TimeSpan.FromSeconds(100), 0),
            (policy.InitialInterval.ToTimeSpan(), policy.BackoffCoefficient, policy.MaximumInterval.ToTimeSpan(), policy.MaximumAttempts));
        Assert.Equal((ActivityStatus.Scheduled, 1), (activity.Status, activity.Attempt));
        Assert.Equal("activity a1 on tq", harness.Enqueued[^1]);
    }

    [Fact]
    public void Pause_QueuedAttempt_NotStartedUntilUnpausedThenQueuedAgain()
    {
        var harness = new LifecycleHarness();
        var activity = ScheduleOne(harness);

        activity.Pause("operator", "maintenance");

        Assert.Null(activity.Start("worker"));
        Assert.Equal(PendingActivityState.Paused, activity.Describe().State);
        var queued = harness.Enqueued.Count;
        activity.Unpause(resetAttempts: false, resetHeartbeat: false, jitter: TimeSpan.Zero);
        Assert.Equal(queued + 1, harness.Enqueued.Count);
        Assert.Equal(1, activity.Start("worker")!.Attempt);
    }

    [Fact]
    public void Pause_RunningAttemptFails_RetryWaitsForUnpauseNotForTheBackoff()
    {
        var harness = new LifecycleHarness();
        var activity = ScheduleOne(harness);
        activity.Start("worker");
        activity.Pause("operator", "");
        Assert.Equal(PendingActivityState.PauseRequested, activity.Describe().State);

        activity.Fail(Broken(), null, "worker");

        Assert.Equal((ActivityStatus.Backoff, 2), (activity.Status, activity.Attempt));
        Assert.DoesNotContain(harness.Now + TimeSpan.FromSeconds(1), harness.PendingAlarms);
        Assert.Null(activity.Describe().NextAttemptScheduleTime);
        activity.Unpause(resetAttempts: true, resetHeartbeat: false, jitter: TimeSpan.Zero);
        Assert.Equal((ActivityStatus.Scheduled, 1), (activity.Status, activity.Attempt));
    }

    [Fact]
    public void Reset_RunningAttemptFails_RetriedAtOnceFromAttemptOne()
    {
        var harness = new LifecycleHarness();
        var activity = ScheduleOne(harness, new RetryPolicy { InitialInterval = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromHours(1)) });
        activity.Start("worker");

        activity.Reset(resetHeartbeat: false, keepPaused: false, jitter: TimeSpan.Zero, restoreOriginalOptions: false);
        Assert.True(activity.ResetRequested);
        activity.Fail(Broken(), null, "worker");
        // The retry is due now, not after the policy's hour.
        Assert.Equal((ActivityStatus.Backoff, 1), (activity.Status, activity.Attempt));
        harness.Advance(TimeSpan.Zero);

        Assert.Equal(ActivityStatus.Scheduled, activity.Status);
        Assert.Equal(1, activity.Start("worker")!.Attempt);
    }

    [Fact]
    public void UpdateOptions_ShorterStartToCloseTimeout_RunningAttemptTimesOutUnderItAndEventUnchanged()
    {
        var harness = new LifecycleHarness();
        var activity = ScheduleOne(harness);
        activity.Start("worker");

        var (options, error) = activity.WithOptions(
            new() { StartToCloseTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) }, ["start_to_close_timeout"], false);
        Assert.Null(error);
        activity.ApplyOptions(options!);

        Assert.Equal(TimeSpan.FromSeconds(10), activity.Attributes.StartToCloseTimeout.ToTimeSpan());
        // The attempt times out after the new five seconds, not the scheduled ten, and is retried.
        harness.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal((ActivityStatus.Backoff, 2), (activity.Status, activity.Attempt));
        Assert.Equal(TimeoutType.StartToClose, activity.LastFailure!.TimeoutFailureInfo.TimeoutType);
        Assert.NotNull(activity.WithOptions(null, ["colour"], false).Error);
    }

    [Fact]
    public void FailedAttempt_RetryPolicyAllowsMore_BacksOffThenTheNextAttemptCompletes()
    {
        var harness = new LifecycleHarness();
        var activity = ScheduleOne(harness);
        Assert.NotNull(activity.Start("worker"));
        var eventsBefore = harness.EventTypes().Count;

        activity.Fail(Broken(), null, "worker");

        Assert.Equal((ActivityStatus.Backoff, 2, eventsBefore), (activity.Status, activity.Attempt, harness.EventTypes().Count));
        Assert.Contains(harness.Now + TimeSpan.FromSeconds(1), harness.PendingAlarms);
        harness.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ActivityStatus.Scheduled, activity.Status);
        var task = activity.Start("worker")!;
        Assert.Equal(2, task.Attempt);
        activity.Complete(new Payloads(), "worker");

        Assert.Equal([EventType.ActivityTaskStarted, EventType.ActivityTaskCompleted, EventType.WorkflowTaskScheduled], harness.EventTypes()[^3..]);
        var started = harness.Run.History.Events[^3];
        Assert.Equal((2, "broken"), (started.ActivityTaskStartedEventAttributes.Attempt, started.ActivityTaskStartedEventAttributes.LastFailure.Message));
        Assert.Equal(started.EventId, harness.Run.History.Events[^2].ActivityTaskCompletedEventAttributes.StartedEventId);
        Assert.Empty(harness.Run.Activities);
    }

    [Fact]
    public void StartToCloseTimeout_OnTheLastAttempt_WritesTimedOutWithMaximumAttemptsReached()
    {
        var harness = new LifecycleHarness();
        var activity = ScheduleOne(harness, new RetryPolicy { MaximumAttempts = 1 });
        activity.Start("worker");

        harness.Advance(TimeSpan.FromSeconds(10));

        var timedOut = harness.Run.History.Events[^2].ActivityTaskTimedOutEventAttributes;
        Assert.Equal((RetryState.MaximumAttemptsReached, TimeoutType.StartToClose), (timedOut.RetryState, timedOut.Failure.TimeoutFailureInfo.TimeoutType));
        Assert.Empty(harness.Run.Activities);
    }

    [Fact]
    public void NonRetryableFailure_WritesFailedAtOnce()
    {
        var harness = new LifecycleHarness();
        var activity = ScheduleOne(harness);
        activity.Start("worker");

        activity.Fail(Broken(nonRetryable: true), null, "worker");

        Assert.Equal(RetryState.NonRetryableFailure, harness.Run.History.Events[^2].ActivityTaskFailedEventAttributes.RetryState);
    }

    [Fact]
    public void Heartbeat_KeepsTheDetailsForTheNextAttemptAfterAHeartbeatTimeout()
    {
        var harness = new LifecycleHarness();
        harness.StartWorkflowTask();
        var command = Commands.ScheduleActivity("a1", TimeSpan.FromSeconds(30));
        command.ScheduleActivityTaskCommandAttributes.HeartbeatTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(2));
        harness.CompleteWorkflowTask(command);
        var activity = harness.Run.Activities.Values.Single();
        activity.Start("worker");
        var details = new Payloads { Payloads_ = { new Payload { Data = Google.Protobuf.ByteString.CopyFromUtf8("checkpoint") } } };

        harness.Advance(TimeSpan.FromSeconds(1));
        activity.Heartbeat(details);
        harness.Advance(TimeSpan.FromSeconds(2.5));

        Assert.Equal((ActivityStatus.Backoff, 2), (activity.Status, activity.Attempt));
        harness.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(details, activity.Start("worker")!.HeartbeatDetails);
        Assert.Equal(TimeoutType.Heartbeat, activity.LastFailure!.TimeoutFailureInfo.TimeoutType);
    }
}
