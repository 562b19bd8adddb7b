using Estuary.DevServer.Runs;
using Estuary.DevServer.Runs.Lifecycles;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.Update.V1;

namespace Estuary.DevServer.Tests.Lifecycles;

/// <summary>A run rebuilt from its history and record has the state the live run had, and resumes its deadlines.</summary>
public sealed class RestoreTests
{
    [Fact]
    public void Restore_RunWithEveryLifecyclePending_RebuildsTheSameState()
    {
        var live = new LifecycleHarness();
        live.StartWorkflowTask();
        live.CompleteWorkflowTask(
            Commands.StartTimer("t1", TimeSpan.FromMinutes(5)),
            Commands.ScheduleActivity("a1", TimeSpan.FromSeconds(30)),
            Commands.StartChild("child-1"));
        var child = live.Run.Children.Values.Single();
        child.RecordStarted(live.Run, "child-run");
        var activity = live.Run.Activities.Values.Single();
        activity.Start("worker");
        activity.Fail(new Failure { Message = "first" }, new Payloads { Payloads_ = { new Payload() } }, "worker");
        var task = live.StartWorkflowTask();
        live.Run.Signal("late", null, "client", null);
        UpdateLifecycle.Admit(live.Run, "u1", new Request { Meta = new Meta { UpdateId = "u1" }, Input = new Input { Name = "Add" } });

        var restoredHarness = new LifecycleHarness { Now = live.Now };
        var restored = WorkflowRun.Restore(restoredHarness, restoredHarness.Entry, live.Run.RunId, RunRecord.Read(RunRecord.Capture(live.Run)), live.Run.History.Events.ToList());

        Assert.Equal(live.EventTypes(), restoredHarness.EventTypes(restored));
        Assert.Equal(live.Run.Timers.Values.Select(t => (t.TimerId, t.Due)), restored.Timers.Values.Select(t => (t.TimerId, t.Due)));
        var restoredActivity = restored.Activities.Values.Single();
        Assert.Equal((ActivityStatus.Backoff, 2, activity.BackoffUntil, "first"),
            (restoredActivity.Status, restoredActivity.Attempt, restoredActivity.BackoffUntil, restoredActivity.LastFailure!.Message));
        Assert.Equal(activity.HeartbeatDetails, restoredActivity.HeartbeatDetails);
        Assert.Equal((child.InitiatedEventId, "child-run"), (restored.Children.Values.Single().InitiatedEventId, restored.Children.Values.Single().FirstRunId));
        Assert.Equal(["u1"], restored.PendingUpdates.Select(u => u.UpdateId));
        Assert.Equal(live.Run.BufferedEvents, restored.BufferedEvents);
        var restoredTask = restored.WorkflowTasks.Current!;
        Assert.Equal((task.StartedEventId, live.Run.WorkflowTasks.Current!.RequestId), (restoredTask.StartedEventId, restoredTask.RequestId));
        Assert.Equal(live.Run.WorkflowTasks.PreviousStartedEventId, restored.WorkflowTasks.PreviousStartedEventId);
    }

    [Fact]
    public void Resume_DeadlinesThatPassedWhileStopped_FireAtOnce()
    {
        var live = new LifecycleHarness();
        live.StartWorkflowTask();
        live.CompleteWorkflowTask(Commands.StartTimer("t1", TimeSpan.FromSeconds(5)));

        // The server was down for a minute: the timer fell due meanwhile.
        var restoredHarness = new LifecycleHarness { Now = live.Now + TimeSpan.FromMinutes(1) };
        var restored = WorkflowRun.Restore(restoredHarness, restoredHarness.Entry, live.Run.RunId, RunRecord.Read(RunRecord.Capture(live.Run)), live.Run.History.Events.ToList());
        restored.Resume();
        restoredHarness.AdvanceTo(restoredHarness.Now);

        Assert.Equal(
            [Temporalio.Api.Enums.V1.EventType.TimerFired, Temporalio.Api.Enums.V1.EventType.WorkflowTaskScheduled],
            restoredHarness.EventTypes(restored)[^2..]);
        Assert.Equal("tq", restoredHarness.Enqueued[^1]);
    }
}
