using Estuary.Testing;
using Microsoft.Data.Sqlite;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;
using WorkerDeploymentVersion = Temporalio.Common.WorkerDeploymentVersion;

namespace Estuary.DevServer.Tests;

/// <summary>Worker deployments on a database file: their versions and routing survive a restart, and an older file is migrated.</summary>
public sealed class WorkerDeploymentRestartTests
{
    [DevServerOnlyFact]
    public async Task Restart_SchemaVersionTwoFileThenDeploymentRouted_FileMigratedAndRoutingKept()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        await server.StopAsync();
        // Schema version 2 is today's schema without the worker deployments table.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var downgrade = connection.CreateCommand();
            downgrade.CommandText = "DROP TABLE worker_deployments; PRAGMA user_version = 2;";
            downgrade.ExecuteNonQuery();
        }
        await server.RestartAsync();

        var taskQueue = TestIds.New("tq");
        var deployment = TestIds.New("deployment");
        using (var worker = new TemporalWorker(client, new TemporalWorkerOptions(taskQueue)
        {
            DeploymentOptions = new(new WorkerDeploymentVersion(deployment, "b1"), true),
        }.AddWorkflow<PinnedV1Workflow>()))
        {
            await worker.ExecuteAsync(async () =>
            {
                await Eventually.PollAsync(() => DescribeOrNullAsync(client, deployment), d => d is { WorkerDeploymentInfo.VersionSummaries.Count: 1 }, $"deployment {deployment}");
                await client.WorkflowService.SetWorkerDeploymentCurrentVersionAsync(new()
                {
                    Namespace = client.Options.Namespace,
                    DeploymentName = deployment,
                    BuildId = "b1",
                    Identity = "restart-test",
                });
                await SetRampAsync(client, deployment);
            });
        }
        var before = await DescribeOrNullAsync(client, deployment);
        await server.RestartAsync();

        var after = await DescribeOrNullAsync(client, deployment);
        Assert.NotNull(after);
        Assert.Equal(before!.WorkerDeploymentInfo, after.WorkerDeploymentInfo);
        Assert.Equal(before.ConflictToken, after.ConflictToken);
        var version = await client.WorkflowService.DescribeWorkerDeploymentVersionAsync(new()
        {
            Namespace = client.Options.Namespace,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = "b1" },
        });
        Assert.Equal(taskQueue, Assert.Single(version.VersionTaskQueues).Name);
        await server.StopAsync();
        using var migrated = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Pooling = false }.ToString());
        migrated.Open();
        using var schema = migrated.CreateCommand();
        schema.CommandText = "PRAGMA user_version;";
        Assert.Equal((long)Store.SqliteStore.SchemaVersion, schema.ExecuteScalar());
    }

    [DevServerOnlyFact]
    public async Task Restart_VersionDeletedMetadataManagerAndUnversionedRampSet_AllKept()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        var ns = client.Options.Namespace;
        var deployment = TestIds.New("deployment");
        var deleted = TestIds.New("deployment");
        foreach (var (name, buildId) in new[] { (deployment, "b1"), (deleted, "b1") })
        {
            await client.WorkflowService.SetWorkerDeploymentCurrentVersionAsync(new()
            {
                Namespace = ns,
                DeploymentName = name,
                BuildId = buildId,
                AllowNoPollers = true,
                Identity = "restart-test",
            });
        }
        await SetRampAsync(client, deployment);
        await client.WorkflowService.SetWorkerDeploymentRampingVersionAsync(new() { Namespace = ns, DeploymentName = deployment, Percentage = 30, Identity = "restart-test" });
        await client.WorkflowService.DeleteWorkerDeploymentVersionAsync(new()
        {
            Namespace = ns,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = "b2" },
            Identity = "restart-test",
        });
        await client.WorkflowService.UpdateWorkerDeploymentVersionMetadataAsync(new()
        {
            Namespace = ns,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = "b1" },
            UpsertEntries = { ["owner"] = new Temporalio.Api.Common.V1.Payload { Data = Google.Protobuf.ByteString.CopyFromUtf8("team-a") } },
        });
        await client.WorkflowService.SetWorkerDeploymentManagerAsync(new() { Namespace = ns, DeploymentName = deployment, Self = true, Identity = "restart-test" });
        await client.WorkflowService.SetWorkerDeploymentCurrentVersionAsync(new() { Namespace = ns, DeploymentName = deleted, Identity = "restart-test" });
        await client.WorkflowService.DeleteWorkerDeploymentVersionAsync(new()
        {
            Namespace = ns,
            DeploymentVersion = new() { DeploymentName = deleted, BuildId = "b1" },
            Identity = "restart-test",
        });
        await client.WorkflowService.DeleteWorkerDeploymentAsync(new() { Namespace = ns, DeploymentName = deleted });
        var before = await DescribeOrNullAsync(client, deployment);
        await server.RestartAsync();

        var after = await DescribeOrNullAsync(client, deployment);
        Assert.NotNull(after);
        Assert.Equal(before!.WorkerDeploymentInfo, after.WorkerDeploymentInfo);
        Assert.Equal(before.ConflictToken, after.ConflictToken);
        Assert.Equal("restart-test", after.WorkerDeploymentInfo.ManagerIdentity);
        Assert.Equal("b1", Assert.Single(after.WorkerDeploymentInfo.VersionSummaries).DeploymentVersion.BuildId);
        Assert.Null(after.WorkerDeploymentInfo.RoutingConfig.RampingDeploymentVersion);
        Assert.Equal(30f, after.WorkerDeploymentInfo.RoutingConfig.RampingVersionPercentage);
        var version = await client.WorkflowService.DescribeWorkerDeploymentVersionAsync(new()
        {
            Namespace = ns,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = "b1" },
        });
        Assert.Equal("team-a", version.WorkerDeploymentVersionInfo.Metadata.Entries["owner"].Data.ToStringUtf8());
        Assert.Null(await DescribeOrNullAsync(client, deleted));
    }

    /// <summary>A ramp to a version no worker polls yet, which allow_no_pollers lets an operator prepare.</summary>
    private static Task<SetWorkerDeploymentRampingVersionResponse> SetRampAsync(TemporalClient client, string deployment) =>
        client.WorkflowService.SetWorkerDeploymentRampingVersionAsync(new()
        {
            Namespace = client.Options.Namespace,
            DeploymentName = deployment,
            BuildId = "b2",
            Percentage = 25,
            AllowNoPollers = true,
            Identity = "restart-test",
        });

    private static async Task<DescribeWorkerDeploymentResponse?> DescribeOrNullAsync(TemporalClient client, string deployment)
    {
        try
        {
            return await client.WorkflowService.DescribeWorkerDeploymentAsync(new() { Namespace = client.Options.Namespace, DeploymentName = deployment });
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            return null;
        }
    }
}
