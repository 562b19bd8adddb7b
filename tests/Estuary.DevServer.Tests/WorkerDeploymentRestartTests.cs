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
        var deployments = new DeploymentCalls(client, "restart-test");
        using (var worker = new TemporalWorker(client, DeploymentCalls.VersionedWorker(taskQueue, deployment, "b1").AddWorkflow<PinnedV1Workflow>()))
        {
            await worker.ExecuteAsync(async () =>
            {
                await deployments.VersionAsync(deployment, "b1");
                await deployments.SetCurrentAsync(deployment, "b1");
                await SetRampAsync(client, deployment);
            });
        }
        var before = await deployments.DescribeAsync(deployment);
        await server.RestartAsync();

        var after = await deployments.DescribeOrNullAsync(deployment);
        Assert.NotNull(after);
        Assert.Equal(before.WorkerDeploymentInfo, after.WorkerDeploymentInfo);
        Assert.Equal(before.ConflictToken, after.ConflictToken);
        var version = await deployments.DescribeVersionAsync(deployment, "b1");
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
        var deployments = new DeploymentCalls(client, "restart-test") { AllowNoPollers = true };
        var deployment = TestIds.New("deployment");
        var deleted = TestIds.New("deployment");
        foreach (var name in new[] { deployment, deleted })
        {
            await deployments.SetCurrentAsync(name, "b1");
        }
        await SetRampAsync(client, deployment);
        await deployments.SetRampingAsync(deployment, "", 30);
        await deployments.DeleteVersionAsync(deployment, "b2");
        await client.WorkflowService.UpdateWorkerDeploymentVersionMetadataAsync(new()
        {
            Namespace = ns,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = "b1" },
            UpsertEntries = { ["owner"] = new Temporalio.Api.Common.V1.Payload { Data = Google.Protobuf.ByteString.CopyFromUtf8("team-a") } },
        });
        await client.WorkflowService.SetWorkerDeploymentManagerAsync(new() { Namespace = ns, DeploymentName = deployment, Self = true, Identity = "restart-test" });
        await deployments.SetCurrentAsync(deleted, "");
        await deployments.DeleteVersionAsync(deleted, "b1");
        await deployments.DeleteDeploymentAsync(deleted);
        var before = await deployments.DescribeAsync(deployment);
        await server.RestartAsync();

        var after = await deployments.DescribeOrNullAsync(deployment);
        Assert.NotNull(after);
        Assert.Equal(before.WorkerDeploymentInfo, after.WorkerDeploymentInfo);
        Assert.Equal(before.ConflictToken, after.ConflictToken);
        Assert.Equal("restart-test", after.WorkerDeploymentInfo.ManagerIdentity);
        Assert.Equal("b1", Assert.Single(after.WorkerDeploymentInfo.VersionSummaries).DeploymentVersion.BuildId);
        Assert.Null(after.WorkerDeploymentInfo.RoutingConfig.RampingDeploymentVersion);
        Assert.Equal(30f, after.WorkerDeploymentInfo.RoutingConfig.RampingVersionPercentage);
        var version = await deployments.DescribeVersionAsync(deployment, "b1");
        Assert.Equal("team-a", version.WorkerDeploymentVersionInfo.Metadata.Entries["owner"].Data.ToStringUtf8());
        Assert.Null(await deployments.DescribeOrNullAsync(deleted));
    }

    /// <summary>A ramp to a version no worker polls yet, which allow_no_pollers lets an operator prepare.</summary>
    private static Task<SetWorkerDeploymentRampingVersionResponse> SetRampAsync(TemporalClient client, string deployment) =>
        new DeploymentCalls(client, "restart-test") { AllowNoPollers = true }.SetRampingAsync(deployment, "b2", 25);
}
