using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;
using ParentClosePolicy = Temporalio.Workflows.ParentClosePolicy;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class ChildWorkflowTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    private async Task<T> WithWorkerAsync<T>(Func<string, Task<T>> body)
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<ParentWorkflow>()
            .AddWorkflow<ChildWorkflow>());
        return await worker.ExecuteAsync(() => body(taskQueue));
    }

    private Task<WorkflowHandle<ParentWorkflow, string>> StartParentAsync(string taskQueue, ChildPlan plan) =>
        Client.StartWorkflowAsync((ParentWorkflow wf) => wf.RunAsync(plan), new(TestIds.New("parent"), taskQueue));

    /// <summary>Waits until the parent started the child and the child's first workflow task ran, so it is really in flight.</summary>
    private async Task WaitForChildAsync(WorkflowHandle parent, string childId)
    {
        await parent.WaitForHistoryAsync(h => h.Any(e => e.EventType == EventType.ChildWorkflowExecutionStarted), $"child {childId} started");
        await Client.GetWorkflowHandle(childId).WaitForHistoryAsync(
            h => h.Any(e => e.EventType == EventType.WorkflowTaskCompleted), $"first workflow task of {childId} completed");
    }

    private static async Task<ChildWorkflowFailureException> ChildFailureAsync(WorkflowHandle<ParentWorkflow, string> parent)
    {
        var error = await Assert.ThrowsAsync<WorkflowFailedException>(() => parent.GetResultAsync());
        return Assert.IsType<ChildWorkflowFailureException>(error.InnerException);
    }

    [Fact]
    public async Task ExecuteChildWorkflow_SameTaskQueue_ParentGetsResultAndBothHistoriesLinkEachOther()
    {
        var childId = TestIds.New("child");
        var (result, parentId, taskQueue) = await WithWorkerAsync(async taskQueue =>
        {
            var parent = await StartParentAsync(taskQueue, new ChildPlan(childId, "hello"));
            return (await parent.GetResultAsync(), parent.Id, taskQueue);
        });

        Assert.Equal($"child says hello from {taskQueue}, parent {parentId}", result);
        var parentEvents = await Client.GetWorkflowHandle(parentId).HistoryAsync();
        Assert.Equal(
            [EventType.StartChildWorkflowExecutionInitiated, EventType.ChildWorkflowExecutionStarted, EventType.ChildWorkflowExecutionCompleted],
            parentEvents.Select(e => e.EventType).Where(t => t.ToString().Contains("Child", StringComparison.Ordinal)).ToList());
        var completed = parentEvents.Single(e => e.EventType == EventType.ChildWorkflowExecutionCompleted).ChildWorkflowExecutionCompletedEventAttributes;
        var started = parentEvents.Single(e => e.EventType == EventType.ChildWorkflowExecutionStarted);
        Assert.Equal(childId, completed.WorkflowExecution.WorkflowId);
        Assert.Equal(started.EventId, completed.StartedEventId);

        var childStart = (await Client.GetWorkflowHandle(childId).HistoryAsync())[0].WorkflowExecutionStartedEventAttributes;
        Assert.Equal(parentId, childStart.ParentWorkflowExecution.WorkflowId);
        Assert.Equal(completed.InitiatedEventId, childStart.ParentInitiatedEventId);
        var description = await Client.GetWorkflowHandle(childId).DescribeAsync();
        Assert.Equal(parentId, description.ParentId);
    }

    [Fact]
    public async Task ExecuteChildWorkflow_OtherTaskQueue_RunsOnThatQueuesWorker()
    {
        var parentQueue = TestIds.New("tq-parent");
        var childQueue = TestIds.New("tq-child");
        using var parentWorker = new TemporalWorker(Client, new TemporalWorkerOptions(parentQueue).AddWorkflow<ParentWorkflow>());
        using var childWorker = new TemporalWorker(Client, new TemporalWorkerOptions(childQueue).AddWorkflow<ChildWorkflow>());
        var childId = TestIds.New("child");
        var result = await parentWorker.ExecuteAsync(() => childWorker.ExecuteAsync(async () =>
        {
            var parent = await StartParentAsync(parentQueue, new ChildPlan(childId, "hi", ChildTaskQueue: childQueue));
            return (await parent.GetResultAsync(), parent.Id);
        }));
        Assert.Equal($"child says hi from {childQueue}, parent {result.Id}", result.Item1);
    }

    [Fact]
    public async Task ExecuteChildWorkflow_ChildContinuesAsNew_ParentGetsResultOfLastRun()
    {
        var childId = TestIds.New("child");
        var (result, parentId, taskQueue) = await WithWorkerAsync(async taskQueue =>
        {
            var parent = await StartParentAsync(taskQueue, new ChildPlan(childId, "continue"));
            return (await parent.GetResultAsync(), parent.Id, taskQueue);
        });
        Assert.Equal($"child says continued from {taskQueue}, parent {parentId}", result);
        var parentEvents = await Client.GetWorkflowHandle(parentId).EventTypesAsync();
        Assert.Single(parentEvents, t => t == EventType.ChildWorkflowExecutionCompleted);
    }

    [Fact]
    public async Task ExecuteChildWorkflow_ChildFails_ParentGetsChildWorkflowFailureWithCause()
    {
        var childId = TestIds.New("child");
        var failure = await WithWorkerAsync(async taskQueue => await ChildFailureAsync(await StartParentAsync(taskQueue, new ChildPlan(childId, "fail"))));
        Assert.Equal(childId, failure.WorkflowId);
        var cause = Assert.IsType<ApplicationFailureException>(failure.InnerException);
        Assert.Equal("ChildBroke", cause.ErrorType);
    }

    [Fact]
    public async Task ExecuteChildWorkflow_ChildCanceled_ParentGetsCanceledCause()
    {
        var childId = TestIds.New("child");
        var failure = await WithWorkerAsync(async taskQueue =>
        {
            var parent = await StartParentAsync(taskQueue, new ChildPlan(childId, "wait"));
            await WaitForChildAsync(parent, childId);
            await Client.GetWorkflowHandle(childId).CancelAsync();
            return await ChildFailureAsync(parent);
        });
        Assert.IsType<CanceledFailureException>(failure.InnerException);
    }

    [Fact]
    public async Task ExecuteChildWorkflow_ChildRunTimesOut_ParentGetsTimeoutCause()
    {
        var childId = TestIds.New("child");
        var failure = await WithWorkerAsync(async taskQueue =>
            await ChildFailureAsync(await StartParentAsync(taskQueue, new ChildPlan(childId, "wait", ChildRunTimeout: TimeSpan.FromSeconds(1)))));
        Assert.Equal(RetryState.Timeout, failure.RetryState);
        Assert.IsType<TimeoutFailureException>(failure.InnerException);
    }

    [Fact]
    public async Task ExecuteChildWorkflow_ChildTerminated_ParentGetsTerminatedCause()
    {
        var childId = TestIds.New("child");
        var failure = await WithWorkerAsync(async taskQueue =>
        {
            var parent = await StartParentAsync(taskQueue, new ChildPlan(childId, "wait"));
            await WaitForChildAsync(parent, childId);
            await Client.GetWorkflowHandle(childId).TerminateAsync("stop it");
            return await ChildFailureAsync(parent);
        });
        Assert.IsType<TerminatedFailureException>(failure.InnerException);
    }

    [Fact]
    public async Task StartChildWorkflow_IdOfRunningWorkflow_ParentGetsWorkflowAlreadyStarted()
    {
        var takenId = TestIds.New("taken");
        var (result, parentId) = await WithWorkerAsync(async taskQueue =>
        {
            var taken = await Client.StartWorkflowAsync((ChildWorkflow wf) => wf.RunAsync("wait"), new(takenId, taskQueue));
            var parent = await StartParentAsync(taskQueue, new ChildPlan(takenId, "hello"));
            var result = await parent.GetResultAsync();
            await taken.TerminateAsync("test done");
            return (result, parent.Id);
        });
        Assert.Equal($"already started: {takenId}", result);
        var failed = (await Client.GetWorkflowHandle(parentId).HistoryAsync())
            .Single(e => e.EventType == EventType.StartChildWorkflowExecutionFailed).StartChildWorkflowExecutionFailedEventAttributes;
        Assert.Equal(StartChildWorkflowExecutionFailedCause.WorkflowAlreadyExists, failed.Cause);
    }

    [Fact]
    public async Task DescribeParent_ChildRunning_ListsPendingChildWithItsPolicy()
    {
        var childId = TestIds.New("child");
        var pending = await WithWorkerAsync(async taskQueue =>
        {
            var parent = await StartParentAsync(taskQueue, new ChildPlan(childId, "wait", ClosePolicy: ParentClosePolicy.Abandon));
            await WaitForChildAsync(parent, childId);
            var description = await Client.Connection.WorkflowService.DescribeWorkflowExecutionAsync(new()
            {
                Namespace = Client.Options.Namespace,
                Execution = new() { WorkflowId = parent.Id },
            });
            await parent.TerminateAsync("test done");
            await Client.GetWorkflowHandle(childId).TerminateAsync("test done");
            return description.PendingChildren;
        });
        var child = Assert.Single(pending);
        Assert.Equal(childId, child.WorkflowId);
        Assert.Equal(nameof(ChildWorkflow), child.WorkflowTypeName);
        Assert.Equal(Temporalio.Api.Enums.V1.ParentClosePolicy.Abandon, child.ParentClosePolicy);
    }

    [Theory]
    [InlineData(ParentClosePolicy.Terminate, WorkflowExecutionStatus.Terminated)]
    [InlineData(ParentClosePolicy.RequestCancel, WorkflowExecutionStatus.Canceled)]
    [InlineData(ParentClosePolicy.Abandon, WorkflowExecutionStatus.Running)]
    public async Task ParentCompletes_ParentClosePolicy_AppliedToRunningChild(ParentClosePolicy policy, WorkflowExecutionStatus expected)
    {
        var childId = TestIds.New("child");
        var status = await WithWorkerAsync(async taskQueue =>
        {
            var parent = await StartParentAsync(taskQueue, new ChildPlan(childId, "wait", ClosePolicy: policy, WaitForResult: false));
            await parent.GetResultAsync();
            var child = Client.GetWorkflowHandle(childId);
            if (expected == WorkflowExecutionStatus.Canceled)
            {
                // The child has to run a workflow task to see the cancellation.
                await Assert.ThrowsAsync<WorkflowFailedException>(() => child.GetResultAsync<string>());
            }
            var description = await child.DescribeAsync();
            if (description.Status == WorkflowExecutionStatus.Running)
            {
                await child.TerminateAsync("test done");
            }
            return description.Status;
        });
        Assert.Equal(expected, status);
    }
}
