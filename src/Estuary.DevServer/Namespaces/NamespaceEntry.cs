using System.Collections.Concurrent;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Visibility;
using Temporalio.Api.Namespace.V1;

namespace Estuary.DevServer.Namespaces;

/// <summary>
/// A registered namespace and the workflow runs it holds. Its settings change under its own lock; the run
/// tables are concurrent, and each workflow id's runs are reached through their <see cref="WorkflowIdEntry"/>.
/// </summary>
internal sealed class NamespaceEntry
{
    private readonly object _closedLock = new();
    private readonly Queue<WorkflowRun> _closedRuns = new();

    /// <summary>Held while the settings below are read or changed.</summary>
    public object SettingsLock { get; } = new();

    public required string Name { get; init; }

    public required string Id { get; init; }

    public required TimeSpan Retention { get; set; }

    public string Description { get; set; } = "";

    public string OwnerEmail { get; set; } = "";

    public Dictionary<string, string> Data { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs by run id (changed through <see cref="AddRun"/> and <see cref="RemoveRun"/>).</summary>
    public ConcurrentDictionary<string, WorkflowRun> Runs { get; } = new(StringComparer.Ordinal);

    /// <summary>The same runs in list order, counted by status.</summary>
    public VisibilityIndex Visibility { get; } = new();

    /// <summary>Holds <paramref name="run"/> (new, or read back from the store); called under the run's lock.</summary>
    public void AddRun(WorkflowRun run)
    {
        Runs[run.RunId] = run;
        Visibility.Add(run);
    }

    /// <summary>Drops <paramref name="run"/>; called under the run's lock.</summary>
    public void RemoveRun(WorkflowRun run)
    {
        if (Runs.TryRemove(run.RunId, out _))
        {
            Visibility.Remove(run);
        }
    }

    /// <summary>Workflow ids with at least one run held, each with its latest run and the lock its runs share.</summary>
    public ConcurrentDictionary<string, WorkflowIdEntry> Workflows { get; } = new(StringComparer.Ordinal);

    /// <summary>The entry of <paramref name="workflowId"/>, created when the id has no run yet.</summary>
    public WorkflowIdEntry Workflow(string workflowId) => Workflows.GetOrAdd(workflowId, id => new WorkflowIdEntry(this, id));

    /// <summary>The latest run of a workflow id, or null.</summary>
    public WorkflowRun? LatestRun(string workflowId) =>
        Workflows.TryGetValue(workflowId, out var entry) ? entry.Latest : null;

    /// <summary>Remembers a run that closed; closed runs are dropped oldest first (one retention per namespace keeps this order by expiry too).</summary>
    public void AddClosed(WorkflowRun run)
    {
        lock (_closedLock)
        {
            _closedRuns.Enqueue(run);
        }
    }

    /// <summary>Close time of the oldest closed run still held, or null.</summary>
    public DateTime? OldestCloseTime()
    {
        lock (_closedLock)
        {
            return _closedRuns.TryPeek(out var oldest) ? oldest.CloseTime : null;
        }
    }

    /// <summary>Takes the oldest closed run out of the close order (the caller drops it).</summary>
    public WorkflowRun? TakeOldestClosed()
    {
        lock (_closedLock)
        {
            return _closedRuns.TryDequeue(out var oldest) ? oldest : null;
        }
    }

    /// <param name="eagerWorkflowStart">Whether the server hands out eager workflow tasks (a server-wide setting here).</param>
    public NamespaceInfo ToInfo(bool eagerWorkflowStart)
    {
        lock (SettingsLock)
        {
            return new NamespaceInfo
            {
                Name = Name,
                Id = Id,
                State = Temporalio.Api.Enums.V1.NamespaceState.Registered,
                Description = Description,
                OwnerEmail = OwnerEmail,
                Data = { Data },
                Capabilities = new NamespaceInfo.Types.Capabilities { SyncUpdate = true, AsyncUpdate = true, EagerWorkflowStart = eagerWorkflowStart },
            };
        }
    }
}
