using Estuary.Testing;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
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

/// <summary><see cref="AutoUpgradeV1Workflow"/> as an unversioned worker runs it.</summary>
[Workflow("VersionedAutoUpgrade")]
public sealed class UnversionedAutoUpgradeWorkflow
{
    private bool _go;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => _go);
        return "unversioned";
    }

    [WorkflowSignal]
    public Task GoAsync()
    {
        _go = true;
        return Task.CompletedTask;
    }
}

/// <summary>
/// Managing worker deployments through the raw WorkflowService calls: deleting versions and deployments under
/// Temporal's preconditions, version metadata, a deployment's manager, ramping towards unversioned workers, and the
/// versioning a list call reports. Every test uses its own deployment and task queue.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class WorkerDeploymentManagementTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    private string Namespace => Client.Options.Namespace;

    private DeploymentCalls Deployments => new(Client) { AllowNoPollers = true };

    private async Task<List<string>> BuildsAsync(string deployment) =>
        [.. (await Deployments.DescribeAsync(deployment)).WorkerDeploymentInfo.VersionSummaries.Select(s => s.DeploymentVersion.BuildId).Order(StringComparer.Ordinal)];

    private static async Task AssertFailsAsync(RpcException.StatusCode code, string expected, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteWorkerDeploymentVersion_CurrentRampingPolledOrDraining_RefusedUntilNoneHolds()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using var worker = new TemporalWorker(Client, DeploymentCalls.VersionedWorker(taskQueue, deployment, "b1").AddWorkflow<PinnedV1Workflow>());
        await worker.ExecuteAsync(async () =>
        {
            await Deployments.VersionAsync(deployment, "b1");
            await Deployments.SetCurrentAsync(deployment, "b1");
            await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "current", () => Deployments.DeleteVersionAsync(deployment, "b1"));
            await Deployments.SetRampingAsync(deployment, "b2", 50);
            await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "ramping", () => Deployments.DeleteVersionAsync(deployment, "b2"));

            // A workflow pinned to b2, which no worker polls: it stays open, so b2 drains once its ramp ends.
            var pinned = await Client.StartWorkflowAsync((PinnedV1Workflow wf) => wf.RunAsync(), new(TestIds.New("pinned"), taskQueue)
            {
                VersioningOverride = new VersioningOverride.Pinned(DeploymentCalls.Version(deployment, "b2")),
            });
            await Deployments.SetRampingAsync(deployment, "", 0);
            Assert.Equal(WorkerDeploymentVersionStatus.Draining, (await Deployments.DescribeVersionAsync(deployment, "b2")).WorkerDeploymentVersionInfo.Status);
            await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "draining", () => Deployments.DeleteVersionAsync(deployment, "b2"));
            Assert.Equal(["b1", "b2"], await BuildsAsync(deployment));
            await Deployments.DeleteVersionAsync(deployment, "b2", skipDrainage: true);
            Assert.Equal(["b1"], await BuildsAsync(deployment));
            await pinned.TerminateAsync();

            // No longer current, nothing pinned to it, but its worker still polls.
            await Deployments.SetCurrentAsync(deployment, "");
            Assert.Equal(WorkerDeploymentVersionStatus.Drained, (await Deployments.DescribeVersionAsync(deployment, "b1")).WorkerDeploymentVersionInfo.Status);
            await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "poll", () => Deployments.DeleteVersionAsync(deployment, "b1"));

            // A drained version no worker polls goes without skip_drainage; an unknown one is already gone.
            await Deployments.SetRampingAsync(deployment, "b3", 10);
            await Deployments.SetRampingAsync(deployment, "", 0);
            await Deployments.DeleteVersionAsync(deployment, "b3");
            await Deployments.DeleteVersionAsync(deployment, "b9");
            Assert.Equal(["b1"], await BuildsAsync(deployment));
            var gone = await Assert.ThrowsAsync<RpcException>(() => Deployments.DescribeVersionAsync(deployment, "b3"));
            Assert.Equal(RpcException.StatusCode.NotFound, gone.Code);
        });
    }

    [Fact]
    public async Task DeleteWorkerDeployment_WithVersionsThenWithout_RefusedThenGoneFromDescribeAndList()
    {
        var deployment = TestIds.New("deployment");
        await Deployments.SetCurrentAsync(deployment, "b1");
        await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "b1", () => Deployments.DeleteDeploymentAsync(deployment));

        await Deployments.SetCurrentAsync(deployment, "");
        await Deployments.DeleteVersionAsync(deployment, "b1");
        await Deployments.DeleteDeploymentAsync(deployment);

        var missing = await Assert.ThrowsAsync<RpcException>(() => Deployments.DescribeAsync(deployment));
        Assert.Equal(RpcException.StatusCode.NotFound, missing.Code);
        var listed = await Client.WorkflowService.ListWorkerDeploymentsAsync(new() { Namespace = Namespace });
        Assert.DoesNotContain(listed.WorkerDeployments, d => d.Name == deployment);
        // Deleting what is not there succeeds, as in Temporal.
        await Deployments.DeleteDeploymentAsync(deployment);
    }

    [Fact]
    public async Task UpdateWorkerDeploymentVersionMetadata_UpsertThenRemove_DescribeReturnsTheEntries()
    {
        var deployment = TestIds.New("deployment");
        await Deployments.SetCurrentAsync(deployment, "b1");
        var payload = (string text) => new Payload { Data = ByteString.CopyFromUtf8(text) };

        var first = await Client.WorkflowService.UpdateWorkerDeploymentVersionMetadataAsync(new()
        {
            Namespace = Namespace,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = "b1" },
            UpsertEntries = { ["owner"] = payload("team-a"), ["commit"] = payload("abc") },
            Identity = Deployments.Identity,
        });
        Assert.Equal(["commit", "owner"], first.Metadata.Entries.Keys.Order(StringComparer.Ordinal));
        var second = await Client.WorkflowService.UpdateWorkerDeploymentVersionMetadataAsync(new()
        {
            Namespace = Namespace,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = "b1" },
            UpsertEntries = { ["commit"] = payload("def") },
            RemoveEntries = { "owner" },
            Identity = Deployments.Identity,
        });
        Assert.Equal("def", Assert.Single(second.Metadata.Entries, e => e.Key == "commit").Value.Data.ToStringUtf8());
        Assert.Single(second.Metadata.Entries);

        var described = await Deployments.DescribeVersionAsync(deployment, "b1");
        Assert.Equal(second.Metadata, described.WorkerDeploymentVersionInfo.Metadata);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.UpdateWorkerDeploymentVersionMetadataAsync(new()
        {
            Namespace = Namespace,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = "b9" },
            UpsertEntries = { ["owner"] = payload("team-a") },
        }));
        Assert.Equal(RpcException.StatusCode.NotFound, unknown.Code);
    }

    [Fact]
    public async Task SetWorkerDeploymentManager_ManagerSet_OnlyItChangesRoutingUntilRemoved()
    {
        var deployment = TestIds.New("deployment");
        await Deployments.SetCurrentAsync(deployment, "b1");
        var token = (await Deployments.DescribeAsync(deployment)).ConflictToken;

        var set = await Client.WorkflowService.SetWorkerDeploymentManagerAsync(new()
        {
            Namespace = Namespace,
            DeploymentName = deployment,
            Self = true,
            Identity = "manager",
            ConflictToken = token,
        });
        var described = await Deployments.DescribeAsync(deployment);
        Assert.Equal("manager", described.WorkerDeploymentInfo.ManagerIdentity);
        Assert.Equal(set.ConflictToken, described.ConflictToken);
        Assert.NotEqual(token, set.ConflictToken);

        await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "manager", () => Deployments.SetCurrentAsync(deployment, "", identity: "someone-else"));
        await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "changed", () => Client.WorkflowService.SetWorkerDeploymentManagerAsync(new()
        {
            Namespace = Namespace,
            DeploymentName = deployment,
            ManagerIdentity = "",
            Identity = "someone-else",
            ConflictToken = token,
        }));
        await AssertFailsAsync(RpcException.StatusCode.InvalidArgument, "new_manager_identity", () => Client.WorkflowService.SetWorkerDeploymentManagerAsync(new()
        {
            Namespace = Namespace,
            DeploymentName = deployment,
            Identity = "someone-else",
        }));
        Assert.Equal("b1", (await Deployments.DescribeAsync(deployment)).WorkerDeploymentInfo.RoutingConfig.CurrentDeploymentVersion.BuildId);

        await Deployments.SetCurrentAsync(deployment, "", identity: "manager");
        await Client.WorkflowService.SetWorkerDeploymentManagerAsync(new()
        {
            Namespace = Namespace,
            DeploymentName = deployment,
            ManagerIdentity = "",
            Identity = "someone-else",
        });
        await Deployments.SetCurrentAsync(deployment, "b1", identity: "someone-else");
        described = await Deployments.DescribeAsync(deployment);
        Assert.Equal("", described.WorkerDeploymentInfo.ManagerIdentity);
        Assert.Equal("b1", described.WorkerDeploymentInfo.RoutingConfig.CurrentDeploymentVersion.BuildId);
    }

    [Fact]
    public async Task SetRampingVersion_TowardsUnversionedWorkers_NewWorkflowsRunUnversionedWhileRampedAndListsShowVersioning()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using var versioned = new TemporalWorker(Client, DeploymentCalls.VersionedWorker(taskQueue, deployment, "b1").AddWorkflow<AutoUpgradeV1Workflow>());
        using var unversioned = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<UnversionedAutoUpgradeWorkflow>());
        await versioned.ExecuteAsync(() => unversioned.ExecuteAsync(async () =>
        {
            await Deployments.VersionAsync(deployment, "b1");
            // Unversioned workers are current while no version is: they cannot be the ramping side as well.
            await AssertFailsAsync(RpcException.StatusCode.InvalidArgument, "unversioned", () => Deployments.SetRampingAsync(deployment, "", 100));
            await Deployments.SetCurrentAsync(deployment, "b1");
            await Deployments.SetRampingAsync(deployment, "", 100);
            var routing = (await Deployments.DescribeAsync(deployment)).WorkerDeploymentInfo.RoutingConfig;
            Assert.Null(routing.RampingDeploymentVersion);
            Assert.Equal(100f, routing.RampingVersionPercentage);
            Assert.Equal("b1", routing.CurrentDeploymentVersion.BuildId);

            var ramped = await Client.StartWorkflowAsync((AutoUpgradeV1Workflow wf) => wf.RunAsync(), new(TestIds.New("ramped"), taskQueue));
            await ramped.SignalAsync(wf => wf.GoAsync());
            Assert.Equal("unversioned", await ramped.GetResultAsync());

            await Deployments.SetRampingAsync(deployment, "", 0);
            Assert.Equal(0f, (await Deployments.DescribeAsync(deployment)).WorkerDeploymentInfo.RoutingConfig.RampingVersionPercentage);
            var current = await Client.StartWorkflowAsync((AutoUpgradeV1Workflow wf) => wf.RunAsync(), new(TestIds.New("current"), taskQueue));
            await current.SignalAsync(wf => wf.GoAsync());
            Assert.Equal("v1", await current.GetResultAsync());

            var listed = await Client.WorkflowService.ListWorkflowExecutionsAsync(new()
            {
                Namespace = Namespace,
                Query = $"WorkflowId = '{current.Id}' OR WorkflowId = '{ramped.Id}'",
            });
            var byId = listed.Executions.ToDictionary(e => e.Execution.WorkflowId);
            Assert.Equal("b1", byId[current.Id].VersioningInfo.DeploymentVersion.BuildId);
            Assert.Equal(Temporalio.Api.Enums.V1.VersioningBehavior.AutoUpgrade, byId[current.Id].VersioningInfo.Behavior);
            Assert.Equal(deployment, byId[current.Id].WorkerDeploymentName);
            Assert.Null(byId[ramped.Id].VersioningInfo);
        }));
    }
}
