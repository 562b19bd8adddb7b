using Estuary.DevServer.Tests.Workflows;
using Temporalio.Client;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// A run's root, as Temporal defines it: a run without a parent is its own root, a child has its parent's root (also
/// after it continues as new). Children see it in <c>Workflow.Info.Root</c> (the started event's
/// <c>root_workflow_execution</c>, empty for a run that is its own root) and Describe reports it as <c>root_execution</c>.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class LineageTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    private async Task<T> WithWorkerAsync<T>(Func<string, Task<T>> body)
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<LineageWorkflow>());
        return await worker.ExecuteAsync(() => body(taskQueue));
    }

    [Fact]
    public async Task ExecuteChildWorkflow_Grandchild_EveryDescendantSeesTheTopAsRoot()
    {
        var (top, lineage) = await WithWorkerAsync(async taskQueue =>
        {
            var handle = await Client.StartWorkflowAsync((LineageWorkflow wf) => wf.RunAsync(2, false), new(TestIds.New("top"), taskQueue));
            return (handle, await handle.GetResultAsync());
        });

        Assert.Equal(3, lineage.Count);
        // The top run is its own root: the SDK shows no root for it.
        Assert.Equal((top.Id, (string?)null, (string?)null), (lineage[0].WorkflowId, lineage[0].ParentId, lineage[0].RootId));
        Assert.All(lineage.Skip(1), level => Assert.Equal((top.Id, top.ResultRunId), (level.RootId, level.RootRunId)));
        Assert.Equal(lineage[1].WorkflowId, lineage[2].ParentId);

        var topStarted = (await top.HistoryAsync())[0].WorkflowExecutionStartedEventAttributes;
        Assert.Null(topStarted.RootWorkflowExecution);
        var grandchild = Client.GetWorkflowHandle(lineage[2].WorkflowId);
        var grandchildStarted = (await grandchild.HistoryAsync())[0].WorkflowExecutionStartedEventAttributes;
        Assert.Equal((top.Id, top.ResultRunId), (grandchildStarted.RootWorkflowExecution.WorkflowId, grandchildStarted.RootWorkflowExecution.RunId));

        Assert.Equal((top.Id, top.ResultRunId), await RootOfAsync(grandchild.Id));
        Assert.Equal((top.Id, top.ResultRunId), await RootOfAsync(top.Id));
    }

    [Fact]
    public async Task ContinueAsNew_TopLevelRun_NewRunIsItsOwnRootAndItsChildrensRoot()
    {
        var (top, lineage) = await WithWorkerAsync(async taskQueue =>
        {
            var handle = await Client.StartWorkflowAsync((LineageWorkflow wf) => wf.RunAsync(1, true), new(TestIds.New("top"), taskQueue));
            return (handle, await handle.GetResultAsync());
        });

        var newRunId = lineage[0].RunId;
        Assert.NotEqual(top.ResultRunId, newRunId);
        Assert.Null(lineage[0].RootId);
        Assert.Equal((top.Id, newRunId), (lineage[1].RootId, lineage[1].RootRunId));
        Assert.Equal((top.Id, newRunId), await RootOfAsync(top.Id));
    }

    private async Task<(string WorkflowId, string RunId)> RootOfAsync(string workflowId)
    {
        var described = await Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
        {
            Namespace = Client.Options.Namespace,
            Execution = new() { WorkflowId = workflowId },
        });
        var root = described.WorkflowExecutionInfo.RootExecution;
        return (root.WorkflowId, root.RunId);
    }
}
