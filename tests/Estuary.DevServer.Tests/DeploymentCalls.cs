using Estuary.Testing;
using Google.Protobuf;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;
using WorkerDeploymentVersion = Temporalio.Common.WorkerDeploymentVersion;

namespace Estuary.DevServer.Tests;

/// <summary>
/// What the worker deployment tests share: a versioned worker's options and the raw WorkflowService deployment calls
/// (the SDK's client has none), made by one client with one identity.
/// </summary>
/// <param name="client">The client the calls go through.</param>
/// <param name="callerIdentity">The identity the changing calls carry.</param>
internal sealed class DeploymentCalls(TemporalClient client, string callerIdentity = "deployment-test")
{
    /// <summary>Whether setting a current or ramping version accepts one no worker polled yet (<c>allow_no_pollers</c>).</summary>
    public bool AllowNoPollers { get; init; }

    public string Identity => callerIdentity;

    private string Namespace => client.Options.Namespace;

    public static WorkerDeploymentVersion Version(string deployment, string buildId) => new(deployment, buildId);

    /// <summary>Options of a worker of <paramref name="deployment"/>'s version <paramref name="buildId"/>, with versioning on.</summary>
    public static TemporalWorkerOptions VersionedWorker(string taskQueue, string deployment, string buildId) =>
        new(taskQueue) { DeploymentOptions = new(Version(deployment, buildId), true) };

    public Task<DescribeWorkerDeploymentVersionResponse> DescribeVersionAsync(string deployment, string buildId, bool reportTaskQueueStats = false) =>
        client.WorkflowService.DescribeWorkerDeploymentVersionAsync(new()
        {
            Namespace = Namespace,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = buildId },
            ReportTaskQueueStats = reportTaskQueueStats,
        });

    /// <summary>The version once it exists: a version appears with its worker's first poll, which nothing announces.</summary>
    public Task<DescribeWorkerDeploymentVersionResponse> VersionAsync(string deployment, string buildId) =>
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

    public Task<DescribeWorkerDeploymentResponse> DescribeAsync(string deployment) =>
        client.WorkflowService.DescribeWorkerDeploymentAsync(new() { Namespace = Namespace, DeploymentName = deployment });

    /// <summary>The deployment, or null when the server has none of that name.</summary>
    public async Task<DescribeWorkerDeploymentResponse?> DescribeOrNullAsync(string deployment)
    {
        try
        {
            return await DescribeAsync(deployment);
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<SetWorkerDeploymentCurrentVersionResponse> SetCurrentAsync(string deployment, string buildId, ByteString? conflictToken = null, string? identity = null) =>
        client.WorkflowService.SetWorkerDeploymentCurrentVersionAsync(new()
        {
            Namespace = Namespace,
            DeploymentName = deployment,
            BuildId = buildId,
            AllowNoPollers = AllowNoPollers,
            Identity = identity ?? callerIdentity,
            ConflictToken = conflictToken ?? ByteString.Empty,
        });

    public Task<SetWorkerDeploymentRampingVersionResponse> SetRampingAsync(string deployment, string buildId, float percentage) =>
        client.WorkflowService.SetWorkerDeploymentRampingVersionAsync(new()
        {
            Namespace = Namespace,
            DeploymentName = deployment,
            BuildId = buildId,
            Percentage = percentage,
            AllowNoPollers = AllowNoPollers,
            Identity = callerIdentity,
        });

    public Task<DeleteWorkerDeploymentVersionResponse> DeleteVersionAsync(string deployment, string buildId, bool skipDrainage = false) =>
        client.WorkflowService.DeleteWorkerDeploymentVersionAsync(new()
        {
            Namespace = Namespace,
            DeploymentVersion = new() { DeploymentName = deployment, BuildId = buildId },
            SkipDrainage = skipDrainage,
            Identity = callerIdentity,
        });

    public Task<DeleteWorkerDeploymentResponse> DeleteDeploymentAsync(string deployment) =>
        client.WorkflowService.DeleteWorkerDeploymentAsync(new() { Namespace = Namespace, DeploymentName = deployment, Identity = callerIdentity });
}
