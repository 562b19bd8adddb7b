using Estuary.Testing;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// Task queue statistics (backlog count and age, add and dispatch rates) per worker deployment version
/// (<c>DescribeWorkerDeploymentVersion</c> with <c>report_task_queue_stats</c>) and over a whole queue
/// (<c>DescribeTaskQueue</c> with <c>report_stats</c>). Every test uses its own deployment and task queue.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class TaskQueueStatsTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    private DeploymentCalls Deployments => new(Client);

    private TemporalWorker Worker(string taskQueue, string deployment, string buildId) =>
        new(Client, DeploymentCalls.VersionedWorker(taskQueue, deployment, buildId).AddWorkflow<PinnedV1Workflow>());

    private async Task<TaskQueueStats> WorkflowQueueStatsAsync(string deployment, string buildId) =>
        (await Deployments.DescribeVersionAsync(deployment, buildId, reportTaskQueueStats: true))
            .VersionTaskQueues.Single(q => q.Type == TaskQueueType.Workflow).Stats;

    private async Task<TaskQueueStats> QueueStatsAsync(string taskQueue) =>
        (await Client.WorkflowService.DescribeTaskQueueAsync(new DescribeTaskQueueRequest
        {
            Namespace = Client.Options.Namespace,
            TaskQueue = new() { Name = taskQueue },
            TaskQueueType = TaskQueueType.Workflow,
            ReportStats = true,
        })).Stats;

    [Fact]
    public async Task ReportTaskQueueStats_BacklogOnTheCurrentVersionWithoutPoller_CountsItsTasksUntilAPollerDrainsThem()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        // Both versions poll once, so they exist with the queue; then no worker polls.
        foreach (var buildId in new[] { "b1", "b2" })
        {
            using var registering = Worker(taskQueue, deployment, buildId);
            await registering.ExecuteAsync(() => Deployments.VersionAsync(deployment, buildId));
        }
        await Deployments.SetCurrentAsync(deployment, "b1");
        var handles = new List<WorkflowHandle<PinnedV1Workflow>>();
        for (var i = 0; i < 3; i++)
        {
            handles.Add(await Client.StartWorkflowAsync((PinnedV1Workflow wf) => wf.RunAsync(), new(TestIds.New("backlogged"), taskQueue)));
        }
        try
        {
            var backlogged = await Eventually.PollAsync(() => WorkflowQueueStatsAsync(deployment, "b1"), s => s.ApproximateBacklogCount == 3, "a backlog of 3 on b1");

            Assert.True(backlogged.ApproximateBacklogAge.ToTimeSpan() > TimeSpan.Zero, $"backlog age {backlogged.ApproximateBacklogAge}");
            Assert.True(backlogged.TasksAddRate > 0, $"add rate {backlogged.TasksAddRate}");
            Assert.Equal(0, backlogged.TasksDispatchRate);
            var other = await WorkflowQueueStatsAsync(deployment, "b2");
            Assert.Equal((0L, TimeSpan.Zero), (other.ApproximateBacklogCount, other.ApproximateBacklogAge.ToTimeSpan()));
            Assert.Equal(3, (await QueueStatsAsync(taskQueue)).ApproximateBacklogCount);

            using var worker = Worker(taskQueue, deployment, "b1");
            await worker.ExecuteAsync(async () =>
            {
                var drained = await Eventually.PollAsync(() => WorkflowQueueStatsAsync(deployment, "b1"), s => s.ApproximateBacklogCount == 0, "b1's backlog drained");

                Assert.Equal(TimeSpan.Zero, drained.ApproximateBacklogAge.ToTimeSpan());
                Assert.True(drained.TasksDispatchRate > 0, $"dispatch rate {drained.TasksDispatchRate}");
                Assert.Equal(0, (await QueueStatsAsync(taskQueue)).ApproximateBacklogCount);
                foreach (var handle in handles)
                {
                    await handle.SignalAsync(wf => wf.GoAsync());
                    Assert.Equal("v1", await handle.GetResultAsync<string>());
                }
            });
        }
        finally
        {
            foreach (var handle in handles)
            {
                if ((await handle.DescribeAsync()).Status == Temporalio.Api.Enums.V1.WorkflowExecutionStatus.Running)
                {
                    await handle.TerminateAsync();
                }
            }
        }
    }

    [Fact]
    public async Task DescribeWorkerDeploymentVersion_WithoutReportTaskQueueStats_ReportsNoStats()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using var worker = Worker(taskQueue, deployment, "b1");
        await worker.ExecuteAsync(async () =>
        {
            var version = await Deployments.VersionAsync(deployment, "b1");

            Assert.Null(Assert.Single(version.VersionTaskQueues).Stats);
        });
    }
}
