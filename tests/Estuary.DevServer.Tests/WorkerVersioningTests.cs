using Estuary.DevServer.Tests.Workflows;
using Estuary.Testing;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>The build a versioned worker completes workflow tasks with, on its WorkflowTaskCompleted events and in Describe.</summary>
[Collection(ServerGroup.Name)]
public sealed class WorkerVersioningTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task ExecuteWorkflow_VersionedWorker_CompletionsAndDescribeNameItsDeploymentVersionAndBehavior()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
        {
            DeploymentOptions = new(new WorkerDeploymentVersion(deployment, "build-7"), true) { DefaultVersioningBehavior = Temporalio.Common.VersioningBehavior.Pinned },
        }.AddWorkflow<PriorityWorkflow>().AddAllActivities(new PriorityActivities()));
        var handle = await worker.ExecuteAsync(async () =>
        {
            // A versioned worker takes new workflows once its version is the deployment's current one.
            await Eventually.PollAsync(() => Client.WorkflowService.ListWorkerDeploymentsAsync(new() { Namespace = Client.Options.Namespace }),
                listed => listed.WorkerDeployments.Any(d => d.Name == deployment), $"deployment {deployment}");
            await Client.WorkflowService.SetWorkerDeploymentCurrentVersionAsync(new()
            {
                Namespace = Client.Options.Namespace,
                DeploymentName = deployment,
                BuildId = "build-7",
                IgnoreMissingTaskQueues = true,
            });
            var handle = await Client.StartWorkflowAsync((PriorityWorkflow wf) => wf.RunAsync(true), new(TestIds.New("wf"), taskQueue));
            await handle.GetResultAsync();
            return handle;
        });

        var completed = (await handle.HistoryAsync()).Where(e => e.EventType == EventType.WorkflowTaskCompleted)
            .Select(e => e.WorkflowTaskCompletedEventAttributes).ToList();
        Assert.NotEmpty(completed);
        Assert.All(completed, c => Assert.Equal(
            (Temporalio.Api.Enums.V1.VersioningBehavior.Pinned, deployment, "build-7", deployment),
            (c.VersioningBehavior, c.DeploymentVersion.DeploymentName, c.DeploymentVersion.BuildId, c.WorkerDeploymentName)));
        var described = await Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
        {
            Namespace = Client.Options.Namespace,
            Execution = new() { WorkflowId = handle.Id },
        });
        var versioning = described.WorkflowExecutionInfo.VersioningInfo;
        Assert.Equal((Temporalio.Api.Enums.V1.VersioningBehavior.Pinned, "build-7"), (versioning.Behavior, versioning.DeploymentVersion.BuildId));
        Assert.Equal(deployment, described.WorkflowExecutionInfo.WorkerDeploymentName);
    }

    [Fact]
    public async Task ExecuteWorkflow_UnversionedWorker_NoVersioningInfo()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<PriorityWorkflow>().AddAllActivities(new PriorityActivities()));
        var handle = await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((PriorityWorkflow wf) => wf.RunAsync(true), new(TestIds.New("wf"), taskQueue));
            await handle.GetResultAsync();
            return handle;
        });

        var described = await Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
        {
            Namespace = Client.Options.Namespace,
            Execution = new() { WorkflowId = handle.Id },
        });
        Assert.Null(described.WorkflowExecutionInfo.VersioningInfo);
        Assert.All((await handle.HistoryAsync()).Where(e => e.EventType == EventType.WorkflowTaskCompleted),
            e => Assert.Null(e.WorkflowTaskCompletedEventAttributes.DeploymentVersion));
    }
}
