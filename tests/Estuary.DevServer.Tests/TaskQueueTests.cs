using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>DescribeTaskQueue lists the workers polling a queue, as Temporal does (a worker is healthy when it is listed).</summary>
[Collection(ServerGroup.Name)]
public sealed class TaskQueueTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task DescribeTaskQueue_WorkerPolling_ListsItOnTheWorkflowAndActivitySides()
    {
        var taskQueue = TestIds.New("tq");
        var identity = TestIds.New("worker");
        var before = DateTime.UtcNow;
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
        {
            Identity = identity,
            MaxTaskQueueActivitiesPerSecond = 50,
        }.AddWorkflow<SummarizedWorkflow>().AddAllActivities(new EchoActivities()));
        var (workflowPollers, activityPollers) = await worker.ExecuteAsync(async () =>
        {
            // A workflow with an activity has been polled for on both sides.
            await Client.ExecuteWorkflowAsync((SummarizedWorkflow wf) => wf.RunAsync(false), new(TestIds.New("wf"), taskQueue));
            return (await DescribeAsync(taskQueue, TaskQueueType.Unspecified), await DescribeAsync(taskQueue, TaskQueueType.Activity));
        });

        var workflowPoller = Assert.Single(workflowPollers.Pollers);
        Assert.Equal(identity, workflowPoller.Identity);
        Assert.Equal(100_000, workflowPoller.RatePerSecond);
        Assert.True(workflowPoller.LastAccessTime.ToDateTime() >= before.AddSeconds(-1), $"last access {workflowPoller.LastAccessTime}");
        var activityPoller = Assert.Single(activityPollers.Pollers);
        Assert.Equal((identity, 50.0), (activityPoller.Identity, activityPoller.RatePerSecond));
    }

    [Fact]
    public async Task DescribeTaskQueue_NobodyPolls_ListsNoPollers()
    {
        var described = await DescribeAsync(TestIds.New("tq"), TaskQueueType.Workflow);
        Assert.Empty(described.Pollers);
    }

    private Task<Temporalio.Api.WorkflowService.V1.DescribeTaskQueueResponse> DescribeAsync(string taskQueue, TaskQueueType type) =>
        Client.WorkflowService.DescribeTaskQueueAsync(new()
        {
            Namespace = Client.Options.Namespace,
            TaskQueue = new() { Name = taskQueue, Kind = TaskQueueKind.Normal },
            TaskQueueType = type,
        });
}
