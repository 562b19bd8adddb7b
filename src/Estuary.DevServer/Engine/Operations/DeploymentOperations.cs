using Estuary.DevServer.Deployments;
using Estuary.DevServer.Grpc;
using Estuary.DevServer.TaskQueues;
using Google.Protobuf;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>
/// Worker deployment versioning: describing, listing and deleting deployments and versions, their metadata and manager,
/// and setting a deployment's current and ramping version, which moves the tasks of new, unversioned and auto-upgrade
/// workflows to that version's workers. <paramref name="pollers"/> tells whether a version's workers still poll.
/// </summary>
internal sealed class DeploymentOperations(DevServerEngine engine, PollerHistory pollers)
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
        var version = RequestedVersion(request.DeploymentVersion);
        var deployment = Deployment(request.Namespace, version.Deployment);
        var info = deployment.DescribeVersion(version.BuildId, v => Drainage(request.Namespace, v))
            ?? throw RpcErrors.NotFound($"worker deployment version {version} not found");
        var response = new DescribeWorkerDeploymentVersionResponse { WorkerDeploymentVersionInfo = info };
        foreach (var queue in info.TaskQueueInfos)
        {
            response.VersionTaskQueues.Add(new DescribeWorkerDeploymentVersionResponse.Types.VersionTaskQueue
            {
                Name = queue.Name,
                Type = queue.Type,
                Stats = request.ReportTaskQueueStats ? engine.TaskQueueStats(engine.Namespaces.Get(request.Namespace).Name, queue.Name, queue.Type, v => v == version) : null,
            });
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

    /// <summary>Deletes a version (see <see cref="WorkerDeployment.DeleteVersion"/>); one that does not exist is already gone, as in Temporal.</summary>
    public Task<DeleteWorkerDeploymentVersionResponse> DeleteWorkerDeploymentVersionAsync(DeleteWorkerDeploymentVersionRequest request) =>
        engine.ChangeAsync(() =>
        {
            var version = RequestedVersion(request.DeploymentVersion);
            var ns = engine.Namespaces.Get(request.Namespace).Name;
            if (engine.Deployments.Find(ns, version.Deployment) is { } deployment
                && deployment.DeleteVersion(version.BuildId, request.Identity, request.SkipDrainage,
                    (v, queues) => queues.Any(queue => pollers.Pollers(ns, queue.Name, queue.Type).Any(p => WorkerVersion.Of(p.DeploymentOptions) == v)),
                    v => Drainage(ns, v)))
            {
                engine.Deployments.ForgetQueuesNotPolledBy(deployment);
                engine.Changes.TouchDeployments();
            }
            return new DeleteWorkerDeploymentVersionResponse();
        });

    /// <summary>Deletes a deployment without versions; one that does not exist is already gone, as in Temporal.</summary>
    public Task<DeleteWorkerDeploymentResponse> DeleteWorkerDeploymentAsync(DeleteWorkerDeploymentRequest request) =>
        engine.ChangeAsync(() =>
        {
            var ns = engine.Namespaces.Get(request.Namespace).Name;
            if (string.IsNullOrEmpty(request.DeploymentName))
            {
                throw RpcErrors.InvalidArgument("deployment_name is not set on request.");
            }
            if (engine.Deployments.Find(ns, request.DeploymentName) is { } deployment)
            {
                engine.Deployments.Delete(deployment);
                engine.Changes.TouchDeployments();
            }
            return new DeleteWorkerDeploymentResponse();
        });

    public Task<UpdateWorkerDeploymentVersionMetadataResponse> UpdateWorkerDeploymentVersionMetadataAsync(UpdateWorkerDeploymentVersionMetadataRequest request) =>
        engine.ChangeAsync(() =>
        {
            var version = RequestedVersion(request.DeploymentVersion);
            var metadata = Deployment(request.Namespace, version.Deployment).UpdateMetadata(version.BuildId, request.UpsertEntries, request.RemoveEntries)
                ?? throw RpcErrors.NotFound($"worker deployment version {version} not found");
            engine.Changes.TouchDeployments();
            return new UpdateWorkerDeploymentVersionMetadataResponse { Metadata = metadata };
        });

    /// <summary>Sets the deployment's manager: the identity named, the caller's own (<c>self</c>), or none (an empty identity).</summary>
    public Task<SetWorkerDeploymentManagerResponse> SetWorkerDeploymentManagerAsync(SetWorkerDeploymentManagerRequest request) =>
        engine.ChangeAsync(() =>
        {
            var manager = request.NewManagerIdentityCase switch
            {
                SetWorkerDeploymentManagerRequest.NewManagerIdentityOneofCase.ManagerIdentity => request.ManagerIdentity,
                SetWorkerDeploymentManagerRequest.NewManagerIdentityOneofCase.Self when !request.Self =>
                    throw RpcErrors.InvalidArgument("self must be true when it is set; pass manager_identity \"\" to remove the manager."),
                SetWorkerDeploymentManagerRequest.NewManagerIdentityOneofCase.Self when string.IsNullOrEmpty(request.Identity) =>
                    throw RpcErrors.InvalidArgument("self needs the request's identity, which is empty."),
                SetWorkerDeploymentManagerRequest.NewManagerIdentityOneofCase.Self => request.Identity,
                _ => throw RpcErrors.InvalidArgument("new_manager_identity (manager_identity or self) is not set on request."),
            };
            var deployment = Deployment(request.Namespace, request.DeploymentName);
            deployment.SetManager(manager, request.ConflictToken, request.Identity);
            engine.Changes.TouchDeployments();
            return new SetWorkerDeploymentManagerResponse { ConflictToken = deployment.ConflictToken };
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

    private static WorkerVersion RequestedVersion(Temporalio.Api.Deployment.V1.WorkerDeploymentVersion? version) =>
        WorkerVersion.Of(version) ?? throw RpcErrors.InvalidArgument("deployment_version (deployment name and build id) is not set on request.");

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
