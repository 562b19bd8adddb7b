using Estuary.DevServer.Runs;
using Estuary.DevServer.Runs.Lifecycles;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.Protocol.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Tests.Lifecycles;

public sealed class WorkflowTaskLifecycleTests
{
    [Fact]
    public void FailedTask_RetriedUntilOneCompletes_OnlyTheFirstFailureAndTheCompletingAttemptAreWritten()
    {
        var harness = new LifecycleHarness();
        var tasks = harness.Run.WorkflowTasks;
        harness.StartWorkflowTask();

        tasks.Fail(tasks.Current!, WorkflowTaskFailedCause.Unspecified, new Failure { Message = "bug" }, "worker");
        Assert.Equal((2, true), (tasks.Current!.Attempt, tasks.Current.IsTransient));
        var retry = harness.StartWorkflowTask();
        tasks.Fail(tasks.Current!, WorkflowTaskFailedCause.Unspecified, new Failure { Message = "bug" }, "worker");
        var third = harness.StartWorkflowTask();
        harness.CompleteWorkflowTask();

        Assert.Equal(2, retry.Attempt);
        Assert.Equal([EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted], retry.History.Events.Skip(4).Select(e => e.EventType));
        Assert.Equal(3, third.Attempt);
        Assert.Equal(
            [EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskFailed,
             EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted],
            harness.EventTypes());
        Assert.Equal(3, harness.Run.History.Events[4].WorkflowTaskScheduledEventAttributes.Attempt);
    }

    [Fact]
    public void StartedTask_PastItsTimeout_TimesOutAndIsRetried()
    {
        var harness = new LifecycleHarness();
        harness.StartWorkflowTask();

        harness.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(TimeoutType.StartToClose, harness.Run.History.Events[^1].WorkflowTaskTimedOutEventAttributes.TimeoutType);
        Assert.Equal((2, false), (harness.Run.WorkflowTasks.Current!.Attempt, harness.Run.WorkflowTasks.Current.IsStarted));
    }

    [Fact]
    public void StickyTask_NotPickedUpInTime_MovesToTheNormalQueue()
    {
        var harness = new LifecycleHarness();
        harness.StartWorkflowTask();
        var request = new RespondWorkflowTaskCompletedRequest
        {
            Identity = "worker",
            StickyAttributes = new StickyExecutionAttributes
            {
                WorkerTaskQueue = new TaskQueue { Name = "sticky-1", Kind = TaskQueueKind.Sticky },
                ScheduleToStartTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)),
            },
        };
        WorkflowTaskCompletion.Apply(harness.Run, harness.Run.WorkflowTasks.Current!, request, new RespondWorkflowTaskCompletedResponse());

        harness.Run.Signal("poke", null, "client", null);
        Assert.Equal(("sticky-1", true), (harness.Enqueued[^1], harness.Run.WorkflowTasks.Current!.IsSticky));
        harness.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal([EventType.WorkflowTaskScheduled, EventType.WorkflowTaskTimedOut, EventType.WorkflowTaskScheduled], harness.EventTypes()[^3..]);
        Assert.Equal(TimeoutType.ScheduleToStart, harness.Run.History.Events[^2].WorkflowTaskTimedOutEventAttributes.TimeoutType);
        Assert.Equal(("tq", false), (harness.Enqueued[^1], harness.Run.WorkflowTasks.Current!.IsSticky));
    }
}

public sealed class UpdateLifecycleTests
{
    private static Request UpdateRequest(string id) => new()
    {
        Meta = new Meta { UpdateId = id },
        Input = new Input { Name = "Add" },
    };

    private static Message Accept(string id) => new()
    {
        Id = id + "/accept",
        ProtocolInstanceId = id,
        Body = Any.Pack(new Acceptance { AcceptedRequestMessageId = id + "/request", AcceptedRequest = UpdateRequest(id) }),
    };

    private static Message Respond(string id) => new()
    {
        Id = id + "/response",
        ProtocolInstanceId = id,
        Body = Any.Pack(new Response { Meta = new Meta { UpdateId = id }, Outcome = new Outcome { Success = new Payloads() } }),
    };

    private static Message Reject(string id) => new()
    {
        Id = id + "/reject",
        ProtocolInstanceId = id,
        Body = Any.Pack(new Rejection { RejectedRequestMessageId = id + "/request", Failure = new Failure { Message = "invalid" } }),
    };

    private static RespondWorkflowTaskCompletedResponse Complete(LifecycleHarness harness, params Message[] messages)
    {
        var request = new RespondWorkflowTaskCompletedRequest { Identity = "worker" };
        request.Messages.AddRange(messages);
        var response = new RespondWorkflowTaskCompletedResponse();
        WorkflowTaskCompletion.Apply(harness.Run, harness.Run.WorkflowTasks.Current!, request, response);
        return response;
    }

    private static LifecycleHarness AfterFirstTask()
    {
        var harness = new LifecycleHarness();
        harness.StartWorkflowTask();
        harness.CompleteWorkflowTask();
        return harness;
    }

    [Fact]
    public void Update_AcceptedAndCompletedByTheWorker_WritesAcceptedThenCompleted()
    {
        var harness = AfterFirstTask();

        var update = UpdateLifecycle.Admit(harness.Run, "u1", UpdateRequest("u1"));
        Assert.True(harness.Run.WorkflowTasks.Current!.IsSpeculative);
        var task = harness.StartWorkflowTask();
        Complete(harness, Accept("u1"), Respond("u1"));

        Assert.Equal("u1/request", Assert.Single(task.Messages).Id);
        Assert.Equal(
            [EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted,
             EventType.WorkflowExecutionUpdateAccepted, EventType.WorkflowExecutionUpdateCompleted],
            harness.EventTypes()[^5..]);
        Assert.Equal((UpdateWorkflowExecutionLifecycleStage.Completed, true), (update.Stage, update.Outcome!.Success is not null));
    }

    [Fact]
    public void Update_RejectedOnASpeculativeTask_LeavesNoEventAndRollsTheWorkerBack()
    {
        var harness = AfterFirstTask();
        var before = harness.EventTypes();

        var update = UpdateLifecycle.Admit(harness.Run, "u1", UpdateRequest("u1"));
        harness.StartWorkflowTask();
        var response = Complete(harness, Reject("u1"));

        Assert.Equal(before, harness.EventTypes());
        Assert.Equal(3, response.ResetHistoryEventId);
        Assert.Equal("invalid", update.Outcome!.Failure.Message);
        Assert.Null(harness.Run.WorkflowTasks.Current);
    }

    [Fact]
    public void Update_RunClosesBeforeAcceptingIt_EndsWithWorkflowCompletedError()
    {
        var harness = AfterFirstTask();
        var update = UpdateLifecycle.Admit(harness.Run, "u1", UpdateRequest("u1"));

        harness.Run.Terminate("done", null, "test");

        Assert.Equal((StatusCode.NotFound, "workflow execution already completed"), (update.Error!.StatusCode, update.Error.Status.Detail));
    }
}
