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
    private const string Identity = "deployment-test";

    private TemporalClient Client => fixture.Client;

    private string Namespace => Client.Options.Namespace;

    private static WorkerDeploymentVersion Version(string deployment, string buildId) => new(deployment, buildId);

    private Task<DescribeWorkerDeploymentVersionResponse> VersionAsync(string deployment, string buildId) =>
        Eventually.PollAsync(async () =>
        {
            try
            {
                return await DescribeVersionAsync(deployment, buildId);
            }
            catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
            {
                return null;
            }
        }, version => version is not null, $"version {deployment}.{buildId}")!;

    private Task<DescribeWorkerDeploymentVersionResponse> DescribeVersionAsync(string deployment, string buildId) =>
        Client.WorkflowService.DescribeWorkerDeploymentVersionAsync(new()
        {
            Namespace = Namespace,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = buildId },
        });

    private Task<DescribeWorkerDeploymentResponse> DescribeAsync(string deployment) =>
        Client.WorkflowService.DescribeWorkerDeploymentAsync(new() { Namespace = Namespace, DeploymentName = deployment });

    private Task<SetWorkerDeploymentCurrentVersionResponse> SetCurrentAsync(string deployment, string buildId, string identity = Identity) =>
        Client.WorkflowService.SetWorkerDeploymentCurrentVersionAsync(new()
        {
            Namespace = Namespace,
            DeploymentName = deployment,
            BuildId = buildId,
            AllowNoPollers = true,
            Identity = identity,
        });

    private Task<SetWorkerDeploymentRampingVersionResponse> SetRampingAsync(string deployment, string buildId, float percentage) =>
        Client.WorkflowService.SetWorkerDeploymentRampingVersionAsync(new()
        {
            Namespace = Namespace,
            DeploymentName = deployment,
            BuildId = buildId,
            Percentage = percentage,
            AllowNoPollers = true,
            Identity = Identity,
        });

    private Task<DeleteWorkerDeploymentVersionResponse> DeleteVersionAsync(string deployment, string buildId, bool skipDrainage = false) =>
        Client.WorkflowService.DeleteWorkerDeploymentVersionAsync(new()
        {
            Namespace = Namespace,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = buildId },
            SkipDrainage = skipDrainage,
            Identity = Identity,
        });

    private Task<DeleteWorkerDeploymentResponse> DeleteDeploymentAsync(string deployment) =>
        Client.WorkflowService.DeleteWorkerDeploymentAsync(new() { Namespace = Namespace, DeploymentName = deployment, Identity = Identity });

    private async Task<List<string>> BuildsAsync(string deployment) =>
        [.. (await DescribeAsync(deployment)).WorkerDeploymentInfo.VersionSummaries.Select(s => s.DeploymentVersion.BuildId).Order(StringComparer.Ordinal)];

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
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
        {
            DeploymentOptions = new(Version(deployment, "b1"), true),
        }.AddWorkflow<PinnedV1Workflow>());
        await worker.ExecuteAsync(async () =>
        {
            await VersionAsync(deployment, "b1");
            await SetCurrentAsync(deployment, "b1");
            await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "current", () => DeleteVersionAsync(deployment, "b1"));
            await SetRampingAsync(deployment, "b2", 50);
            await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "ramping", () => DeleteVersionAsync(deployment, "b2"));

            // A workflow pinned to b2, which no worker polls: it stays open, so b2 drains once its ramp ends.
            var pinned = await Client.StartWorkflowAsync((PinnedV1Workflow wf) => wf.RunAsync(), new(TestIds.New("pinned"), taskQueue)
            {
                VersioningOverride = new VersioningOverride.Pinned(Version(deployment, "b2")),
            });
            await SetRampingAsync(deployment, "", 0);
            Assert.Equal(WorkerDeploymentVersionStatus.Draining, (await DescribeVersionAsync(deployment, "b2")).WorkerDeploymentVersionInfo.Status);
            await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "draining", () => DeleteVersionAsync(deployment, "b2"));
            Assert.Equal(["b1", "b2"], await BuildsAsync(deployment));
            await DeleteVersionAsync(deployment, "b2", skipDrainage: true);
            Assert.Equal(["b1"], await BuildsAsync(deployment));
            await pinned.TerminateAsync();

            // No longer current, nothing pinned to it, but its worker still polls.
            await SetCurrentAsync(deployment, "");
            Assert.Equal(WorkerDeploymentVersionStatus.Drained, (await DescribeVersionAsync(deployment, "b1")).WorkerDeploymentVersionInfo.Status);
            await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "poll", () => DeleteVersionAsync(deployment, "b1"));

            // A drained version no worker polls goes without skip_drainage; an unknown one is already gone.
            await SetRampingAsync(deployment, "b3", 10);
            await SetRampingAsync(deployment, "", 0);
            await DeleteVersionAsync(deployment, "b3");
            await DeleteVersionAsync(deployment, "b9");
            Assert.Equal(["b1"], await BuildsAsync(deployment));
            var gone = await Assert.ThrowsAsync<RpcException>(() => DescribeVersionAsync(deployment, "b3"));
            Assert.Equal(RpcException.StatusCode.NotFound, gone.Code);
        });
    }

    [Fact]
    public async Task DeleteWorkerDeployment_WithVersionsThenWithout_RefusedThenGoneFromDescribeAndList()
    {
        var deployment = TestIds.New("deployment");
        await SetCurrentAsync(deployment, "b1");
        await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "b1", () => DeleteDeploymentAsync(deployment));

        await SetCurrentAsync(deployment, "");
        await DeleteVersionAsync(deployment, "b1");
        await DeleteDeploymentAsync(deployment);

        var missing = await Assert.ThrowsAsync<RpcException>(() => DescribeAsync(deployment));
        Assert.Equal(RpcException.StatusCode.NotFound, missing.Code);
        var listed = await Client.WorkflowService.ListWorkerDeploymentsAsync(new() { Namespace = Namespace });
        Assert.DoesNotContain(listed.WorkerDeployments, d => d.Name == deployment);
        // Deleting what is not there succeeds, as in Temporal.
        await DeleteDeploymentAsync(deployment);
    }

    [Fact]
    public async Task UpdateWorkerDeploymentVersionMetadata_UpsertThenRemove_DescribeReturnsTheEntries()
    {
        var deployment = TestIds.New("deployment");
        await SetCurrentAsync(deployment, "b1");
        var payload = (string text) => new Payload { Data = ByteString.CopyFromUtf8(text) };

        var first = await Client.WorkflowService.UpdateWorkerDeploymentVersionMetadataAsync(new()
        {
            Namespace = Namespace,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = "b1" },
            UpsertEntries = { ["owner"] = payload("team-a"), ["commit"] = payload("abc") },
            Identity = Identity,
        });
        Assert.Equal(["commit", "owner"], first.Metadata.Entries.Keys.Order(StringComparer.Ordinal));
        var second = await Client.WorkflowService.UpdateWorkerDeploymentVersionMetadataAsync(new()
        {
            Namespace = Namespace,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = "b1" },
            UpsertEntries = { ["commit"] = payload("def") },
            RemoveEntries = { "owner" },
            Identity = Identity,
        });
        Assert.Equal("def", Assert.Single(second.Metadata.Entries, e => e.Key == "commit").Value.Data.ToStringUtf8());
        Assert.Single(second.Metadata.Entries);

        var described = await DescribeVersionAsync(deployment, "b1");
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
        await SetCurrentAsync(deployment, "b1");
        var token = (await DescribeAsync(deployment)).ConflictToken;

        var set = await Client.WorkflowService.SetWorkerDeploymentManagerAsync(new()
        {
            Namespace = Namespace,
            DeploymentName = deployment,
            Self = true,
            Identity = "manager",
            ConflictToken = token,
        });
        var described = await DescribeAsync(deployment);
        Assert.Equal("manager", described.WorkerDeploymentInfo.ManagerIdentity);
        Assert.Equal(set.ConflictToken, described.ConflictToken);
        Assert.NotEqual(token, set.ConflictToken);

        await AssertFailsAsync(RpcException.StatusCode.FailedPrecondition, "manager", () => SetCurrentAsync(deployment, "", identity: "someone-else"));
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
        Assert.Equal("b1", (await DescribeAsync(deployment)).WorkerDeploymentInfo.RoutingConfig.CurrentDeploymentVersion.BuildId);

        await SetCurrentAsync(deployment, "", identity: "manager");
        await Client.WorkflowService.SetWorkerDeploymentManagerAsync(new()
        {
            Namespace = Namespace,
            DeploymentName = deployment,
            ManagerIdentity = "",
            Identity = "someone-else",
        });
        await SetCurrentAsync(deployment, "b1", identity: "someone-else");
        described = await DescribeAsync(deployment);
        Assert.Equal("", described.WorkerDeploymentInfo.ManagerIdentity);
        Assert.Equal("b1", described.WorkerDeploymentInfo.RoutingConfig.CurrentDeploymentVersion.BuildId);
    }

    [Fact]
    public async Task SetRampingVersion_TowardsUnversionedWorkers_NewWorkflowsRunUnversionedWhileRampedAndListsShowVersioning()
    {
        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using var versioned = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
        {
            DeploymentOptions = new(Version(deployment, "b1"), true),
        }.AddWorkflow<AutoUpgradeV1Workflow>());
        using var unversioned = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<UnversionedAutoUpgradeWorkflow>());
        await versioned.ExecuteAsync(() => unversioned.ExecuteAsync(async () =>
        {
            await VersionAsync(deployment, "b1");
            // Unversioned workers are current while no version is: they cannot be the ramping side as well.
            await AssertFailsAsync(RpcException.StatusCode.InvalidArgument, "unversioned", () => SetRampingAsync(deployment, "", 100));
            await SetCurrentAsync(deployment, "b1");
            await SetRampingAsync(deployment, "", 100);
            var routing = (await DescribeAsync(deployment)).WorkerDeploymentInfo.RoutingConfig;
            Assert.Null(routing.RampingDeploymentVersion);
            Assert.Equal(100f, routing.RampingVersionPercentage);
            Assert.Equal("b1", routing.CurrentDeploymentVersion.BuildId);

            var ramped = await Client.StartWorkflowAsync((AutoUpgradeV1Workflow wf) => wf.RunAsync(), new(TestIds.New("ramped"), taskQueue));
            await ramped.SignalAsync(wf => wf.GoAsync());
            Assert.Equal("unversioned", await ramped.GetResultAsync());

            await SetRampingAsync(deployment, "", 0);
            Assert.Equal(0f, (await DescribeAsync(deployment)).WorkerDeploymentInfo.RoutingConfig.RampingVersionPercentage);
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
