using Estuary.DevServer.Tests.Workflows;
using Estuary.Testing;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
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

    /// <summary>
    /// The build id calls that worker deployments replaced (version sets, versioning rules, task reachability) are off by
    /// default in Temporal (dynamic config <c>frontend.workerVersioningDataAPIs</c> and <c>frontend.workerVersioningRuleAPIs</c>),
    /// and answer PERMISSION_DENIED naming the feature; an unknown namespace is NOT_FOUND first.
    /// </summary>
    [Fact]
    public async Task DeprecatedBuildIdCalls_DefaultConfiguration_PermissionDeniedNamingTheVersioningGeneration()
    {
        var ns = Client.Options.Namespace;
        var taskQueue = TestIds.New("tq");
        const string VersionSets = "Worker versioning v0.1 (Version Set-based, deprecated) is disabled on this namespace.";
        const string Rules = "Worker versioning v0.2 (Rules-based, deprecated) is disabled on this namespace.";
        var calls = new (string Message, Func<Task> Call)[]
        {
            (VersionSets, () => Client.WorkflowService.UpdateWorkerBuildIdCompatibilityAsync(new() { Namespace = ns, TaskQueue = taskQueue, AddNewBuildIdInNewDefaultSet = "b1" })),
            (VersionSets, () => Client.WorkflowService.GetWorkerBuildIdCompatibilityAsync(new() { Namespace = ns, TaskQueue = taskQueue })),
            (VersionSets, () => Client.WorkflowService.GetWorkerTaskReachabilityAsync(new() { Namespace = ns, BuildIds = { "b1" } })),
            (Rules, () => Client.WorkflowService.GetWorkerVersioningRulesAsync(new() { Namespace = ns, TaskQueue = taskQueue })),
            (Rules, () => Client.WorkflowService.UpdateWorkerVersioningRulesAsync(new() { Namespace = ns, TaskQueue = taskQueue })),
        };

        foreach (var (message, call) in calls)
        {
            var error = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal((RpcException.StatusCode.PermissionDenied, message), (error.Code, error.Message));
        }
        var unknown = await Assert.ThrowsAsync<RpcException>(() =>
            Client.WorkflowService.GetWorkerBuildIdCompatibilityAsync(new() { Namespace = TestIds.New("nowhere"), TaskQueue = taskQueue }));
        Assert.Equal(RpcException.StatusCode.NotFound, unknown.Code);
    }
}
