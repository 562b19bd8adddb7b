using Estuary.DevServer.Deployments;
using Estuary.DevServer.Grpc;
using Google.Protobuf;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>
/// Worker deployment versioning: describing and listing deployments and versions, and setting a deployment's current
/// and ramping version, which moves the tasks of new, unversioned and auto-upgrade workflows to that version's workers.
/// </summary>
internal sealed class DeploymentOperations(DevServerEngine engine)
{
    public DescribeWorkerDeploymentResponse DescribeWorkerDeployment(DescribeWorkerDeploymentRequest request)
    {
        var deployment = Deployment(request.Namespace, request.DeploymentName);
        return new DescribeWorkerDeploymentResponse
        {
            WorkerDeploymentInfo = deployment.Describe(version => Drainage(request.Namespace, version)),
            ConflictToken = deployment.ConflictToken,
        };
    }

    /// <summary>Every deployment of the namespace, by name, in pages (the token is the last name listed).</summary>
    public ListWorkerDeploymentsResponse ListWorkerDeployments(ListWorkerDeploymentsRequest request)
    {
        var ns = engine.Namespaces.Get(request.Namespace).Name;
        var after = request.NextPageToken.ToStringUtf8();
        var size = request.PageSize <= 0 ? 1000 : request.PageSize;
        var remaining = engine.Deployments.In(ns).Where(deployment => string.CompareOrdinal(deployment.Name, after) > 0).ToList();
        var response = new ListWorkerDeploymentsResponse();
        foreach (var deployment in remaining.Take(size))
        {
            response.WorkerDeployments.Add(deployment.ListSummary(version => Drainage(ns, version)));
        }
        if (remaining.Count > size)
        {
            response.NextPageToken = ByteString.CopyFromUtf8(remaining[size - 1].Name);
        }
        return response;
    }

    public DescribeWorkerDeploymentVersionResponse DescribeWorkerDeploymentVersion(DescribeWorkerDeploymentVersionRequest request)
    {
        var version = WorkerVersion.Of(request.DeploymentVersion)
            ?? throw RpcErrors.InvalidArgument("deployment_version (deployment name and build id) is not set on request.");
        var deployment = Deployment(request.Namespace, version.Deployment);
        var info = deployment.DescribeVersion(version.BuildId, v => Drainage(request.Namespace, v))
            ?? throw RpcErrors.NotFound($"worker deployment version {version} not found");
        var response = new DescribeWorkerDeploymentVersionResponse { WorkerDeploymentVersionInfo = info };
        foreach (var queue in info.TaskQueueInfos)
        {
            response.VersionTaskQueues.Add(new DescribeWorkerDeploymentVersionResponse.Types.VersionTaskQueue { Name = queue.Name, Type = queue.Type });
        }
        return response;
    }

    public Task<SetWorkerDeploymentCurrentVersionResponse> SetWorkerDeploymentCurrentVersionAsync(SetWorkerDeploymentCurrentVersionRequest request) =>
        engine.ChangeAsync(() =>
        {
            var deployment = DeploymentToChange(request.Namespace, request.DeploymentName, request.AllowNoPollers);
            deployment.SetCurrent(request.BuildId, request.ConflictToken, request.Identity, request.AllowNoPollers, request.IgnoreMissingTaskQueues, engine.Now);
            Routed(deployment);
            return new SetWorkerDeploymentCurrentVersionResponse { ConflictToken = deployment.ConflictToken };
        });

    public Task<SetWorkerDeploymentRampingVersionResponse> SetWorkerDeploymentRampingVersionAsync(SetWorkerDeploymentRampingVersionRequest request) =>
        engine.ChangeAsync(() =>
        {
            var deployment = DeploymentToChange(request.Namespace, request.DeploymentName, request.AllowNoPollers);
            deployment.SetRamping(request.BuildId, request.Percentage, request.ConflictToken, request.Identity,
                request.AllowNoPollers, request.IgnoreMissingTaskQueues, engine.Now);
            Routed(deployment);
            return new SetWorkerDeploymentRampingVersionResponse { ConflictToken = deployment.ConflictToken };
        });

    /// <summary>A versioning override as a start or options update may set it: a pinned one must name its version.</summary>
    public static VersioningOverride? ValidOverride(VersioningOverride? given)
    {
        if (given is null)
        {
            return null;
        }
        if (given.Pinned is { } pinned && WorkerVersion.Of(pinned.Version) is null)
        {
            throw RpcErrors.InvalidArgument("a pinned versioning override must name its deployment version (deployment name and build id).");
        }
        if (given.Pinned is null && !(given.HasAutoUpgrade && given.AutoUpgrade))
        {
            throw RpcErrors.InvalidArgument("a versioning override must be pinned (with a version) or auto-upgrade.");
        }
        return given;
    }

    private WorkerDeployment Deployment(string namespaceName, string name)
    {
        var ns = engine.Namespaces.Get(namespaceName).Name;
        if (string.IsNullOrEmpty(name))
        {
            throw RpcErrors.InvalidArgument("deployment_name is not set on request.");
        }
        return engine.Deployments.Find(ns, name) ?? throw RpcErrors.NotFound($"worker deployment {name} not found");
    }

    /// <summary>The deployment a Set call changes; with allow_no_pollers it may be created by the call, as Temporal does.</summary>
    private WorkerDeployment DeploymentToChange(string namespaceName, string name, bool allowNoPollers)
    {
        if (!allowNoPollers)
        {
            return Deployment(namespaceName, name);
        }
        var ns = engine.Namespaces.Get(namespaceName).Name;
        if (string.IsNullOrEmpty(name))
        {
            throw RpcErrors.InvalidArgument("deployment_name is not set on request.");
        }
        return engine.Deployments.GetOrCreate(ns, name, engine.Now, out _);
    }

    /// <summary>Stores the change and hands waiting tasks of the deployment's queues to the workers they now go to.</summary>
    private void Routed(WorkerDeployment deployment)
    {
        engine.Changes.TouchDeployments();
        engine.Rematch(deployment.Namespace, engine.Deployments.QueuesOf(deployment));
    }

    /// <summary>Drained once no open run is pinned to the version, draining while any is.</summary>
    private VersionDrainageStatus Drainage(string namespaceName, WorkerVersion version) =>
        engine.Namespaces.Find(namespaceName) is { } ns
        && ns.Runs.Values.Any(run => run.IsRunning && run.Versioning.PinnedTo == version)
            ? VersionDrainageStatus.Draining
            : VersionDrainageStatus.Drained;
}
