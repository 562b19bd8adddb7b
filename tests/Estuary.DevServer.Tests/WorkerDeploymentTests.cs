using Estuary.Testing;
using Google.Protobuf;
using Temporalio.Api.Deployment.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Worker;
using Temporalio.Workflows;
using WorkerDeploymentVersion = Temporalio.Common.WorkerDeploymentVersion;

namespace Estuary.DevServer.Tests;

/// <summary>Version 1 of a versioned workflow: waits for "go", then says which build ran its last task.</summary>
[Workflow("VersionedPinned", VersioningBehavior = Temporalio.Common.VersioningBehavior.Pinned)]
public sealed class PinnedV1Workflow
{
    private bool _go;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => _go);
        return "v1";
    }

    [WorkflowSignal]
    public Task GoAsync()
    {
        _go = true;
        return Task.CompletedTask;
    }
}

/// <summary>Version 2 of <see cref="PinnedV1Workflow"/>: the same commands, another answer.</summary>
[Workflow("VersionedPinned", VersioningBehavior = Temporalio.Common.VersioningBehavior.Pinned)]
public sealed class PinnedV2Workflow
{
    private bool _go;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => _go);
        return "v2";
    }

    [WorkflowSignal]
    public Task GoAsync()
    {
        _go = true;
        return Task.CompletedTask;
    }
}

/// <summary>An auto-upgrade workflow of version 1: moves to the current version with its next task.</summary>
[Workflow("VersionedAutoUpgrade", VersioningBehavior = Temporalio.Common.VersioningBehavior.AutoUpgrade)]
public sealed class AutoUpgradeV1Workflow
{
    private bool _go;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => _go);
        return "v1";
    }

    [WorkflowSignal]
    public Task GoAsync()
    {
        _go = true;
        return Task.CompletedTask;
    }
}

/// <summary>Version 2 of <see cref="AutoUpgradeV1Workflow"/>.</summary>
[Workflow("VersionedAutoUpgrade", VersioningBehavior = Temporalio.Common.VersioningBehavior.AutoUpgrade)]
public sealed class AutoUpgradeV2Workflow
{
    private bool _go;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => _go);
        return "v2";
    }

    [WorkflowSignal]
    public Task GoAsync()
    {
        _go = true;
        return Task.CompletedTask;
    }
}

/// <summary>
/// Worker deployment versioning through the SDK and the raw WorkflowService calls: deployments and versions appear as
/// versioned workers poll, the current and ramping versions decide where new and auto-upgrade workflows' tasks go,
/// pinned workflows stay on their version, and a versioning override moves a workflow. Every test uses its own
/// deployment and task queue.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class WorkerDeploymentTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    private string Namespace => Client.Options.Namespace;

    private DeploymentCalls Deployments => new(Client);

    private TemporalWorker Worker(string taskQueue, string deployment, string buildId, bool second) =>
        new(Client, second
            ? DeploymentCalls.VersionedWorker(taskQueue, deployment, buildId).AddWorkflow<PinnedV2Workflow>().AddWorkflow<AutoUpgradeV2Workflow>()
            : DeploymentCalls.VersionedWorker(taskQueue, deployment, buildId).AddWorkflow<PinnedV1Workflow>().AddWorkflow<AutoUpgradeV1Workflow>());

    /// <summary>The build that completed the run's last workflow task, as Describe reports it (empty before the first).</summary>
    private async Task<string> BuildOfAsync(WorkflowHandle handle)
    {
        var described = await Client.WorkflowService.DescribeWorkflowExecutionAsync(new() { Namespace = Namespace, Execution = new() { WorkflowId = handle.Id } });
        return described.WorkflowExecutionInfo.VersioningInfo?.DeploymentVersion?.BuildId ?? "";
    }

    private Task<string> FirstTaskDoneAsync(WorkflowHandle handle) =>
        Eventually.PollAsync(() => BuildOfAsync(handle), build => build.Length > 0, $"{handle.Id}'s first workflow task");

    [Fact]
    public async Task DescribeAndListWorkerDeployments_VersionedWorkerPolls_DeploymentAndVersionWithItsTaskQueuesAppear()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using var worker = Worker(taskQueue, deployment, "b1", second: false);
        await worker.ExecuteAsync(async () =>
        {
            var version = await Deployments.VersionAsync(deployment, "b1");
            // The worker has workflows only, so it polls no activity queue.
            Assert.Equal((taskQueue, TaskQueueType.Workflow), Assert.Single(version.VersionTaskQueues.Select(q => (q.Name, q.Type))));
            Assert.Equal(WorkerDeploymentVersionStatus.Inactive, version.WorkerDeploymentVersionInfo.Status);

            var described = await Deployments.DescribeAsync(deployment);
            Assert.Equal(deployment, described.WorkerDeploymentInfo.Name);
            Assert.Null(described.WorkerDeploymentInfo.RoutingConfig.CurrentDeploymentVersion);
            Assert.Equal("b1", Assert.Single(described.WorkerDeploymentInfo.VersionSummaries).DeploymentVersion.BuildId);

            var listed = await Client.WorkflowService.ListWorkerDeploymentsAsync(new() { Namespace = Namespace });
            Assert.Contains(listed.WorkerDeployments, d => d.Name == deployment && d.LatestVersionSummary.DeploymentVersion.BuildId == "b1");
        });
    }

    [Fact]
    public async Task SetCurrentVersion_PinnedAndAutoUpgradeWorkflows_PinnedStaysAutoUpgradeAndNewOnesMove()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using var v1 = Worker(taskQueue, deployment, "b1", second: false);
        using var v2 = Worker(taskQueue, deployment, "b2", second: true);
        await v1.ExecuteAsync(() => v2.ExecuteAsync(async () =>
        {
            await Deployments.VersionAsync(deployment, "b1");
            await Deployments.VersionAsync(deployment, "b2");
            await Deployments.SetCurrentAsync(deployment, "b1");

            var pinned = await Client.StartWorkflowAsync((PinnedV1Workflow wf) => wf.RunAsync(), new(TestIds.New("pinned"), taskQueue));
            var upgrading = await Client.StartWorkflowAsync((AutoUpgradeV1Workflow wf) => wf.RunAsync(), new(TestIds.New("auto"), taskQueue));
            Assert.Equal("b1", await FirstTaskDoneAsync(pinned));
            Assert.Equal("b1", await FirstTaskDoneAsync(upgrading));

            await Deployments.SetCurrentAsync(deployment, "b2");
            var started = await Client.StartWorkflowAsync((AutoUpgradeV1Workflow wf) => wf.RunAsync(), new(TestIds.New("new"), taskQueue));
            await pinned.SignalAsync(wf => wf.GoAsync());
            await upgrading.SignalAsync(wf => wf.GoAsync());
            await started.SignalAsync(wf => wf.GoAsync());

            Assert.Equal("v1", await pinned.GetResultAsync());
            Assert.Equal("v2", await upgrading.GetResultAsync());
            Assert.Equal("v2", await started.GetResultAsync());
            var described = await Deployments.DescribeAsync(deployment);
            Assert.Equal("b2", described.WorkerDeploymentInfo.RoutingConfig.CurrentDeploymentVersion.BuildId);
            var statuses = described.WorkerDeploymentInfo.VersionSummaries.ToDictionary(s => s.DeploymentVersion.BuildId, s => s.Status);
            Assert.Equal(WorkerDeploymentVersionStatus.Current, statuses["b2"]);
            // Its one pinned workflow closed: nothing is left on it.
            Assert.Equal(WorkerDeploymentVersionStatus.Drained, statuses["b1"]);
        }));
    }

    [Fact]
    public async Task SetRampingVersion_FullAndNoRamp_NewWorkflowsGoToTheRampingVersionOnlyWhileRamped()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using var v1 = Worker(taskQueue, deployment, "b1", second: false);
        using var v2 = Worker(taskQueue, deployment, "b2", second: true);
        await v1.ExecuteAsync(() => v2.ExecuteAsync(async () =>
        {
            await Deployments.VersionAsync(deployment, "b1");
            await Deployments.VersionAsync(deployment, "b2");
            await Deployments.SetCurrentAsync(deployment, "b1");
            await Deployments.SetRampingAsync(deployment, "b2", 100);
            var ramped = await Client.StartWorkflowAsync((PinnedV1Workflow wf) => wf.RunAsync(), new(TestIds.New("ramped"), taskQueue));
            Assert.Equal("b2", await FirstTaskDoneAsync(ramped));
            var rampingVersion = await Deployments.VersionAsync(deployment, "b2");
            Assert.Equal((WorkerDeploymentVersionStatus.Ramping, 100f),
                (rampingVersion.WorkerDeploymentVersionInfo.Status, rampingVersion.WorkerDeploymentVersionInfo.RampPercentage));

            await Deployments.SetRampingAsync(deployment, "b2", 0);
            var notRamped = await Client.StartWorkflowAsync((PinnedV1Workflow wf) => wf.RunAsync(), new(TestIds.New("not-ramped"), taskQueue));
            Assert.Equal("b1", await FirstTaskDoneAsync(notRamped));

            await Deployments.SetRampingAsync(deployment, "", 0);
            Assert.Null((await Deployments.DescribeAsync(deployment)).WorkerDeploymentInfo.RoutingConfig.RampingDeploymentVersion);
            foreach (var handle in new[] { ramped, notRamped })
            {
                await handle.SignalAsync(wf => wf.GoAsync());
            }
            Assert.Equal("v2", await ramped.GetResultAsync());
            Assert.Equal("v1", await notRamped.GetResultAsync());
        }));
    }

    [Fact]
    public async Task VersioningOverride_PinnedAtStartAndMovedByUpdateOptions_TasksGoToTheOverridingVersion()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using var v1 = Worker(taskQueue, deployment, "b1", second: false);
        using var v2 = Worker(taskQueue, deployment, "b2", second: true);
        await v1.ExecuteAsync(() => v2.ExecuteAsync(async () =>
        {
            await Deployments.VersionAsync(deployment, "b1");
            await Deployments.VersionAsync(deployment, "b2");
            await Deployments.SetCurrentAsync(deployment, "b1");

            var overridden = await Client.StartWorkflowAsync((PinnedV1Workflow wf) => wf.RunAsync(), new(TestIds.New("override"), taskQueue)
            {
                VersioningOverride = new VersioningOverride.Pinned(new WorkerDeploymentVersion(deployment, "b2")),
            });
            var moved = await Client.StartWorkflowAsync((PinnedV1Workflow wf) => wf.RunAsync(), new(TestIds.New("moved"), taskQueue));
            Assert.Equal("b2", await FirstTaskDoneAsync(overridden));
            Assert.Equal("b1", await FirstTaskDoneAsync(moved));

            var updated = await Client.WorkflowService.UpdateWorkflowExecutionOptionsAsync(new()
            {
                Namespace = Namespace,
                WorkflowExecution = new() { WorkflowId = moved.Id },
                WorkflowExecutionOptions = new()
                {
                    VersioningOverride = new Temporalio.Api.Workflow.V1.VersioningOverride
                    {
                        Pinned = new()
                        {
                            Behavior = Temporalio.Api.Workflow.V1.VersioningOverride.Types.PinnedOverrideBehavior.Pinned,
                            Version = new() { DeploymentName = deployment, BuildId = "b2" },
                        },
                    },
                },
                UpdateMask = new() { Paths = { "versioning_override" } },
                Identity = "deployment-test",
            });
            Assert.Equal("b2", updated.WorkflowExecutionOptions.VersioningOverride.Pinned.Version.BuildId);
            foreach (var handle in new[] { overridden, moved })
            {
                await handle.SignalAsync(wf => wf.GoAsync());
            }

            Assert.Equal("v2", await overridden.GetResultAsync());
            Assert.Equal("v2", await moved.GetResultAsync());
            var described = await Client.WorkflowService.DescribeWorkflowExecutionAsync(new() { Namespace = Namespace, Execution = new() { WorkflowId = moved.Id } });
            Assert.Equal("b2", described.WorkflowExecutionInfo.VersioningInfo.VersioningOverride.Pinned.Version.BuildId);
        }));
    }

    [Fact]
    public async Task UpdateWorkflowExecutionOptions_OverrideSetThenRemovedMidRun_EventsInHistoryAndTheWorkerReplaysThem()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        // No sticky cache: every workflow task replays the history from its start, events of the option changes included.
        var options = DeploymentCalls.VersionedWorker(taskQueue, deployment, "b1").AddWorkflow<PinnedV1Workflow>();
        options.MaxCachedWorkflows = 0;
        using var worker = new TemporalWorker(Client, options);
        await worker.ExecuteAsync(async () =>
        {
            await Deployments.VersionAsync(deployment, "b1");
            await Deployments.SetCurrentAsync(deployment, "b1");
            var handle = await Client.StartWorkflowAsync((PinnedV1Workflow wf) => wf.RunAsync(), new(TestIds.New("options-event"), taskQueue));
            Assert.Equal("b1", await FirstTaskDoneAsync(handle));

            var pinned = new Temporalio.Api.Workflow.V1.VersioningOverride
            {
                Pinned = new()
                {
                    Behavior = Temporalio.Api.Workflow.V1.VersioningOverride.Types.PinnedOverrideBehavior.Pinned,
                    Version = new() { DeploymentName = deployment, BuildId = "b1" },
                },
            };
            foreach (var given in new[] { pinned, null })
            {
                await Client.WorkflowService.UpdateWorkflowExecutionOptionsAsync(new()
                {
                    Namespace = Namespace,
                    WorkflowExecution = new() { WorkflowId = handle.Id },
                    WorkflowExecutionOptions = new() { VersioningOverride = given },
                    UpdateMask = new() { Paths = { "versioning_override" } },
                    Identity = "options-operator",
                });
            }
            await handle.SignalAsync(wf => wf.GoAsync());
            Assert.Equal("v1", await handle.GetResultAsync());

            var history = await handle.FetchHistoryAsync();
            var updates = history.Events.Where(evt => evt.EventType == EventType.WorkflowExecutionOptionsUpdated).ToList();
            Assert.Equal(2, updates.Count);
            Assert.All(updates, evt =>
            {
                Assert.True(evt.WorkerMayIgnore);
                Assert.Equal("options-operator", evt.WorkflowExecutionOptionsUpdatedEventAttributes.Identity);
            });
            Assert.Equal(pinned, updates[0].WorkflowExecutionOptionsUpdatedEventAttributes.VersioningOverride);
            Assert.False(updates[0].WorkflowExecutionOptionsUpdatedEventAttributes.UnsetVersioningOverride);
            Assert.Null(updates[1].WorkflowExecutionOptionsUpdatedEventAttributes.VersioningOverride);
            Assert.True(updates[1].WorkflowExecutionOptionsUpdatedEventAttributes.UnsetVersioningOverride);

            var replayer = new WorkflowReplayer(new WorkflowReplayerOptions().AddWorkflow<PinnedV1Workflow>());
            Assert.Null((await replayer.ReplayWorkflowAsync(history, throwOnReplayFailure: false)).ReplayFailure);
        });
    }

    [Fact]
    public async Task DeploymentCalls_BadRequests_FailNamingTheProblemAndChangeNothing()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using var worker = Worker(taskQueue, deployment, "b1", second: false);
        await worker.ExecuteAsync(async () =>
        {
            await Deployments.VersionAsync(deployment, "b1");
            var token = (await Deployments.DescribeAsync(deployment)).ConflictToken;

            var unknownBuild = await Assert.ThrowsAsync<RpcException>(() => Deployments.SetCurrentAsync(deployment, "b9"));
            Assert.Equal(RpcException.StatusCode.FailedPrecondition, unknownBuild.Code);
            Assert.Contains("b9", unknownBuild.Message, StringComparison.Ordinal);
            var badPercentage = await Assert.ThrowsAsync<RpcException>(() => Deployments.SetRampingAsync(deployment, "b1", 150));
            Assert.Equal(RpcException.StatusCode.InvalidArgument, badPercentage.Code);
            var unknownDeployment = await Assert.ThrowsAsync<RpcException>(() => Deployments.DescribeAsync(TestIds.New("nowhere")));
            Assert.Equal(RpcException.StatusCode.NotFound, unknownDeployment.Code);
            Assert.Equal(token, (await Deployments.DescribeAsync(deployment)).ConflictToken);

            await Deployments.SetCurrentAsync(deployment, "b1", token);
            var stale = await Assert.ThrowsAsync<RpcException>(() => Deployments.SetCurrentAsync(deployment, "", token));
            Assert.Equal(RpcException.StatusCode.FailedPrecondition, stale.Code);
            Assert.Equal("b1", (await Deployments.DescribeAsync(deployment)).WorkerDeploymentInfo.RoutingConfig.CurrentDeploymentVersion.BuildId);
        });
    }
}
