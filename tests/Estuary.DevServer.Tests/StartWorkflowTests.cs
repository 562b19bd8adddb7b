using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class StartWorkflowTests(ServerFixture fixture)
{
    private Task<WorkflowHandle<WaitForSignalWorkflow, string>> StartWaitingAsync(string workflowId, string taskQueue, Action<WorkflowOptions>? configure = null)
    {
        var options = new WorkflowOptions(workflowId, taskQueue);
        configure?.Invoke(options);
        return fixture.Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), options);
    }

    [Fact]
    public async Task StartWorkflow_SameIdWhileRunning_ThrowsAlreadyStartedWithRunningRunId()
    {
        var workflowId = TestIds.New("wf");
        var first = await StartWaitingAsync(workflowId, TestIds.New("tq"));
        var error = await Assert.ThrowsAsync<WorkflowAlreadyStartedException>(() => StartWaitingAsync(workflowId, TestIds.New("tq")));
        Assert.Equal(first.ResultRunId, error.RunId);
        Assert.Equal(workflowId, error.WorkflowId);
    }

    [Fact]
    public async Task StartWorkflow_ConflictPolicyUseExisting_ReturnsRunningRun()
    {
        var workflowId = TestIds.New("wf");
        var first = await StartWaitingAsync(workflowId, TestIds.New("tq"));
        var second = await StartWaitingAsync(workflowId, TestIds.New("tq"), o => o.IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting);
        Assert.Equal(first.ResultRunId, second.ResultRunId);
    }

    [Fact]
    public async Task StartWorkflow_ConflictPolicyTerminateExisting_TerminatesOldRunAndStartsNew()
    {
        var workflowId = TestIds.New("wf");
        var first = await StartWaitingAsync(workflowId, TestIds.New("tq"));
        var second = await StartWaitingAsync(workflowId, TestIds.New("tq"), o => o.IdConflictPolicy = WorkflowIdConflictPolicy.TerminateExisting);
        Assert.NotEqual(first.ResultRunId, second.ResultRunId);
        var error = await Assert.ThrowsAsync<WorkflowFailedException>(() => first.GetResultAsync(followRuns: false));
        Assert.IsType<TerminatedFailureException>(error.InnerException);
    }

    [Fact]
    public async Task StartWorkflow_ReusePolicyRejectDuplicateAfterClose_ThrowsAlreadyStarted()
    {
        var workflowId = TestIds.New("wf");
        var first = await StartWaitingAsync(workflowId, TestIds.New("tq"));
        await first.TerminateAsync("done");
        await Assert.ThrowsAsync<WorkflowAlreadyStartedException>(() =>
            StartWaitingAsync(workflowId, TestIds.New("tq"), o => o.IdReusePolicy = WorkflowIdReusePolicy.RejectDuplicate));
    }

    [Fact]
    public async Task StartWorkflow_AllowDuplicateAfterClose_StartsNewRun()
    {
        var workflowId = TestIds.New("wf");
        var first = await StartWaitingAsync(workflowId, TestIds.New("tq"));
        await first.TerminateAsync("done");
        var second = await StartWaitingAsync(workflowId, TestIds.New("tq"));
        Assert.NotEqual(first.ResultRunId, second.ResultRunId);
    }

    [Fact]
    public async Task StartWorkflow_SameRequestIdTwice_ReturnsSameRun()
    {
        var request = new Temporalio.Api.WorkflowService.V1.StartWorkflowExecutionRequest
        {
            Namespace = "default",
            WorkflowId = TestIds.New("wf"),
            WorkflowType = new() { Name = "WaitForSignalWorkflow" },
            TaskQueue = new() { Name = TestIds.New("tq") },
            RequestId = Guid.NewGuid().ToString(),
        };
        var first = await fixture.Client.Connection.WorkflowService.StartWorkflowExecutionAsync(request);
        var second = await fixture.Client.Connection.WorkflowService.StartWorkflowExecutionAsync(request);
        Assert.Equal(first.RunId, second.RunId);
    }

    [Fact]
    public async Task StartWorkflow_MemoAndSearchAttributes_DescribeReturnsThem()
    {
        var key = SearchAttributeKey.CreateKeyword("CustomKeywordField");
        await SearchAttributeRegistration.EnsureAsync(fixture.Client, key.Name, IndexedValueType.Keyword);
        var handle = await StartWaitingAsync(TestIds.New("wf"), TestIds.New("tq"), o =>
        {
            o.Memo = new Dictionary<string, object> { ["owner"] = "estuary" };
            o.TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(key, "blue").ToSearchAttributeCollection();
        });
        var description = await handle.DescribeAsync();
        Assert.Equal(WorkflowExecutionStatus.Running, description.Status);
        Assert.Equal("estuary", await description.Memo["owner"].ToValueAsync<string>());
        Assert.Equal("blue", description.TypedSearchAttributes.Get(key));
    }

    [Fact]
    public async Task TerminateWorkflow_Running_ResultThrowsTerminatedWithReason()
    {
        var handle = await StartWaitingAsync(TestIds.New("wf"), TestIds.New("tq"));
        await handle.TerminateAsync("operator said so");
        var error = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
        Assert.Equal("operator said so", Assert.IsType<TerminatedFailureException>(error.InnerException).Message);
        Assert.Equal(WorkflowExecutionStatus.Terminated, (await handle.DescribeAsync()).Status);
    }

    [Fact]
    public async Task CancelWorkflow_WaitingOnCondition_WorkflowEndsCanceled()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        await worker.ExecuteAsync(async () =>
        {
            var handle = await StartWaitingAsync(TestIds.New("wf"), taskQueue);
            await handle.CancelAsync();
            var error = await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());
            Assert.IsType<CanceledFailureException>(error.InnerException);
            Assert.Contains(EventType.WorkflowExecutionCancelRequested, await handle.EventTypesAsync());
        });
    }

    [Fact]
    public async Task ContinueAsNew_ThreeTimes_ClientFollowsChainToFinalResult()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        await worker.ExecuteAsync(async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((CountdownWorkflow wf) => wf.RunAsync(3, ""), new(workflowId, taskQueue));
            Assert.Equal("3,2,1,done", await handle.GetResultAsync());
            var latest = await fixture.Client.GetWorkflowHandle(workflowId).DescribeAsync();
            Assert.NotEqual(handle.ResultRunId, latest.RunId);
            var firstRun = await fixture.Client.GetWorkflowHandle(workflowId, runId: handle.ResultRunId).DescribeAsync();
            Assert.Equal(WorkflowExecutionStatus.ContinuedAsNew, firstRun.Status);
        });
    }

    [Fact]
    public async Task ExecuteWorkflow_RetryPolicyTwoAttempts_SecondRunFailsWithAttemptTwo()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        using var worker = new TemporalWorker(fixture.Client, WorkerHelpers.AllTestWork(taskQueue));
        await worker.ExecuteAsync(async () =>
        {
            var error = await Assert.ThrowsAsync<WorkflowFailedException>(() => fixture.Client.ExecuteWorkflowAsync(
                (FailingWorkflow wf) => wf.RunAsync("again"),
                new(workflowId, taskQueue) { RetryPolicy = new() { MaximumAttempts = 2, InitialInterval = TimeSpan.FromMilliseconds(100) } }));
            Assert.Equal("again", error.InnerException!.Message);
            var history = await fixture.Client.GetWorkflowHandle(workflowId).HistoryAsync();
            Assert.Equal(2, history[0].WorkflowExecutionStartedEventAttributes.Attempt);
            Assert.Equal(RetryState.MaximumAttemptsReached, history[^1].WorkflowExecutionFailedEventAttributes.RetryState);
        });
    }

    [Fact]
    public async Task StartWorkflow_UnknownNamespace_ThrowsNotFound()
    {
        var client = await TemporalClient.ConnectAsync(new(fixture.Address) { Namespace = "no-such-namespace" });
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new(TestIds.New("wf"), TestIds.New("tq"))));
        Assert.Equal(RpcException.StatusCode.NotFound, error.Code);
    }
}
