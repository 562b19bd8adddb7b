using System.Collections.Concurrent;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Store;
using Temporalio.Api.Deployment.V1;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Deployments;

/// <summary>
/// The worker deployments of every namespace, and which deployment each task queue belongs to (the one whose versioned
/// workers polled it last): what decides which pollers a task may go to.
/// </summary>
internal sealed class WorkerDeploymentRegistry
{
    private readonly ConcurrentDictionary<(string Namespace, string Name), WorkerDeployment> _deployments = new();
    private readonly ConcurrentDictionary<(string Namespace, string Queue), WorkerDeployment> _queues = new();

    public WorkerDeployment? Find(string ns, string name) => _deployments.TryGetValue((ns, name), out var deployment) ? deployment : null;

    /// <summary>The deployments of <paramref name="ns"/>, by name.</summary>
    public List<WorkerDeployment> In(string ns) =>
        [.. _deployments.Values.Where(deployment => deployment.Namespace == ns).OrderBy(deployment => deployment.Name, StringComparer.Ordinal)];

    /// <summary>The deployment named, created (as Temporal does on a version's first poll) when it does not exist.</summary>
    public WorkerDeployment GetOrCreate(string ns, string name, DateTime now, out bool created)
    {
        var made = false;
        var deployment = _deployments.GetOrAdd((ns, name), key =>
        {
            made = true;
            return new WorkerDeployment(key.Namespace, key.Name, now);
        });
        created = made;
        return deployment;
    }

    /// <summary>
    /// Records a poll of a normal task queue by a worker with <paramref name="options"/>; true when it created a deployment,
    /// a version or a task queue of a version (what must be stored).
    /// </summary>
    public bool RecordPoller(string ns, string queue, TaskQueueType type, WorkerDeploymentOptions? options, DateTime now)
    {
        if (WorkerVersion.Of(options) is not { } version)
        {
            return false;
        }
        while (true)
        {
            var deployment = GetOrCreate(ns, version.Deployment, now, out var created);
            if (deployment.RecordPoller(version.BuildId, queue, type, now) is { } news)
            {
                _queues[(ns, queue)] = deployment;
                return news | created;
            }
        }
    }

    /// <summary>Deletes <paramref name="deployment"/> (it must have no versions left); its task queues follow no deployment any more.</summary>
    public void Delete(WorkerDeployment deployment) =>
        deployment.Delete(() =>
        {
            _deployments.TryRemove(new KeyValuePair<(string, string), WorkerDeployment>((deployment.Namespace, deployment.Name), deployment));
            ForgetQueuesNotPolledBy(deployment);
        });

    /// <summary>
    /// Drops the queues that map to <paramref name="deployment"/> but none of its versions polls (after a version was
    /// deleted), so they route as a restart would rebuild them.
    /// </summary>
    public void ForgetQueuesNotPolledBy(WorkerDeployment deployment)
    {
        var polled = deployment.TaskQueueNames().ToHashSet(StringComparer.Ordinal);
        foreach (var pair in _queues.Where(pair => pair.Value == deployment && !polled.Contains(pair.Key.Queue)))
        {
            _queues.TryRemove(pair);
        }
    }

    /// <summary>
    /// The version a task of <paramref name="run"/> on <paramref name="queue"/> must go to (null: unversioned workers):
    /// a pinned run's own version, else the queue's deployment's current version or, for the ramp's share of workflows,
    /// its ramping version.
    /// </summary>
    public WorkerVersion? Target(WorkflowRun run, string ns, string queue)
    {
        if (run.Versioning.PinnedTo is { } pinned)
        {
            return pinned;
        }
        return _queues.TryGetValue((ns, queue), out var deployment) ? deployment.Routing.For(run.WorkflowId) : null;
    }

    /// <summary>The task queues whose tasks follow <paramref name="deployment"/>'s routing.</summary>
    public List<string> QueuesOf(WorkerDeployment deployment) =>
        [.. _queues.Where(pair => pair.Value == deployment).Select(pair => pair.Key.Queue)];

    /// <summary>Every deployment as stored.</summary>
    public List<StoredDeployment> Capture() =>
        [.. _deployments.Values.Select(deployment => new StoredDeployment(deployment.Namespace, deployment.Name, deployment.Capture()))];

    /// <summary>Puts back a stored deployment, with the task queues its versions polled.</summary>
    public void Restore(StoredDeployment stored)
    {
        var deployment = WorkerDeployment.Restore(stored.Namespace, stored.Record);
        _deployments[(stored.Namespace, deployment.Name)] = deployment;
        foreach (var queue in deployment.TaskQueueNames())
        {
            _queues[(stored.Namespace, queue)] = deployment;
        }
    }
}
