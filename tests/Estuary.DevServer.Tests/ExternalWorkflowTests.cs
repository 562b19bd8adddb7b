using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class ExternalWorkflowTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    private async Task<T> WithWorkerAsync<T>(Func<string, Task<T>> body)
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, WorkerHelpers.AllTestWork(taskQueue)
            .AddWorkflow<ExternalWorkflow>()
            .AddWorkflow<ChildWorkflow>()
            .AddWorkflow<CancelChildWorkflow>());
        return await worker.ExecuteAsync(() => body(taskQueue));
    }

    private Task<string> RunExternalAsync(string taskQueue, string action, string targetId) =>
        Client.ExecuteWorkflowAsync((ExternalWorkflow wf) => wf.RunAsync(action, targetId), new(TestIds.New("wf"), taskQueue));

    [Fact]
    public async Task SignalExternal_RunningWorkflow_TargetGetsSignalNamingTheSender()
    {
        var (outcome, result, signaled) = await WithWorkerAsync(async taskQueue =>
        {
            var target = await Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new(TestIds.New("target"), taskQueue));
            var outcome = await RunExternalAsync(taskQueue, "signal", target.Id);
            var result = await target.GetResultAsync();
            var signaled = (await target.HistoryAsync()).Single(e => e.EventType == EventType.WorkflowExecutionSignaled);
            return (outcome, result, signaled.WorkflowExecutionSignaledEventAttributes);
        });
        Assert.Equal("done", outcome);
        Assert.Equal("from outside", result);
        Assert.StartsWith("wf-", signaled.ExternalWorkflowExecution.WorkflowId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignalExternal_UnknownWorkflow_SenderGetsNotFoundFailure()
    {
        var outcome = await WithWorkerAsync(taskQueue => RunExternalAsync(taskQueue, "signal", TestIds.New("nobody")));
        Assert.StartsWith("failed:", outcome, StringComparison.Ordinal);
        Assert.Contains("not found", outcome, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RequestCancelExternal_RunningWorkflow_TargetIsCanceled()
    {
        var (outcome, error) = await WithWorkerAsync(async taskQueue =>
        {
            var target = await Client.StartWorkflowAsync((ChildWorkflow wf) => wf.RunAsync("wait"), new(TestIds.New("target"), taskQueue));
            var outcome = await RunExternalAsync(taskQueue, "cancel", target.Id);
            return (outcome, await Assert.ThrowsAsync<WorkflowFailedException>(() => target.GetResultAsync()));
        });
        Assert.Equal("done", outcome);
        Assert.IsType<CanceledFailureException>(error.InnerException);
    }

    [Fact]
    public async Task RequestCancelExternal_UnknownWorkflow_SenderGetsNotFoundFailure()
    {
        var outcome = await WithWorkerAsync(taskQueue => RunExternalAsync(taskQueue, "cancel", TestIds.New("nobody")));
        Assert.StartsWith("failed:", outcome, StringComparison.Ordinal);
        Assert.Contains("not found", outcome, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task CancelChild_ThroughCancellationToken_ChildCanceledAndParentSeesIt()
    {
        var childId = TestIds.New("child");
        var result = await WithWorkerAsync(taskQueue =>
            Client.ExecuteWorkflowAsync((CancelChildWorkflow wf) => wf.RunAsync(childId), new(TestIds.New("wf"), taskQueue)));
        Assert.Equal("child canceled", result);
        var description = await Client.GetWorkflowHandle(childId).DescribeAsync();
        Assert.Equal(WorkflowExecutionStatus.Canceled, description.Status);
    }
}
