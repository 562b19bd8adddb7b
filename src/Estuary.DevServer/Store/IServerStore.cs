using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;

namespace Estuary.DevServer.Store;

/// <summary>
/// Where the server keeps its state across restarts. The server holds everything in memory and serves from
/// there; a store is written behind it, one batch of changes at a time (<see cref="ChangeLog"/>), and read once at
/// start. <see cref="InMemoryStore"/> keeps nothing; <see cref="SqliteStore"/> keeps it all in one file.
/// </summary>
internal interface IServerStore : IDisposable
{
    /// <summary>False when nothing is kept: changes need no recording and no waiting.</summary>
    bool IsDurable { get; }

    /// <summary>What GetClusterInfo reports as the persistence and visibility store.</summary>
    string Kind { get; }

    /// <summary>Everything stored, read once at start.</summary>
    StoredState Load();

    /// <summary>Writes one batch of changes atomically; returns once it is durable.</summary>
    void Write(StoreBatch batch);
}

/// <summary>A namespace as stored.</summary>
internal sealed record StoredNamespace(string Name, string Id, TimeSpan Retention, string Description, string OwnerEmail, IReadOnlyDictionary<string, string> Data);

/// <summary>A run as stored: its key, history and <see cref="Runs.RunRecord"/>.</summary>
internal sealed record StoredRun(long Key, string Namespace, string RunId, string WorkflowId, byte[] Record, IReadOnlyList<HistoryEvent> Events);

/// <summary>A schedule as stored: its namespace, id and record (<see cref="Schedules.ScheduleLifecycle.Capture"/>).</summary>
internal sealed record StoredSchedule(string Namespace, string ScheduleId, byte[] Record);

/// <summary>A worker deployment as stored: its namespace, name and record (<see cref="Deployments.WorkerDeployment.Capture"/>).</summary>
internal sealed record StoredDeployment(string Namespace, string Name, byte[] Record);

/// <summary>Everything a store holds.</summary>
internal sealed class StoredState
{
    public List<StoredNamespace> Namespaces { get; } = [];

    public Dictionary<string, IndexedValueType> SearchAttributes { get; } = new(StringComparer.Ordinal);

    public List<StoredRun> Runs { get; } = [];

    public List<StoredSchedule> Schedules { get; } = [];

    public List<StoredDeployment> Deployments { get; } = [];
}

/// <summary>A run's changes in one batch: its state now and the events written since the last batch.</summary>
/// <param name="Key">The run's key in the store.</param>
/// <param name="IsNew">Not in the store yet.</param>
/// <param name="RowChanged">Its status or record changed since the last batch (always when new).</param>
/// <param name="Namespace">Namespace name.</param>
/// <param name="RunId">Run id.</param>
/// <param name="WorkflowId">Workflow id.</param>
/// <param name="Status">Execution status.</param>
/// <param name="Record">The run's <see cref="Runs.RunRecord"/>.</param>
/// <param name="FirstNewEventId">Id of the first of <paramref name="NewEvents"/>.</param>
/// <param name="NewEvents">History events written since the last batch.</param>
internal sealed record RunChange(long Key, bool IsNew, bool RowChanged, string Namespace, string RunId, string WorkflowId, WorkflowExecutionStatus Status,
    byte[] Record, long FirstNewEventId, IReadOnlyList<HistoryEvent> NewEvents);

/// <summary>One atomic batch of changes.</summary>
internal sealed class StoreBatch
{
    /// <summary>Every namespace, when any changed; null otherwise.</summary>
    public List<StoredNamespace>? Namespaces { get; set; }

    /// <summary>Every registered search attribute, when they changed; null otherwise.</summary>
    public Dictionary<string, IndexedValueType>? SearchAttributes { get; set; }

    public List<RunChange> Runs { get; } = [];

    /// <summary>Keys of runs dropped (retention).</summary>
    public List<long> DeletedRuns { get; } = [];

    /// <summary>Schedules created or changed (written after <see cref="DeletedSchedules"/>, so a schedule deleted and created again is kept).</summary>
    public List<StoredSchedule> Schedules { get; } = [];

    /// <summary>Schedules deleted.</summary>
    public List<(string Namespace, string ScheduleId)> DeletedSchedules { get; } = [];

    /// <summary>Every worker deployment, when any changed; null otherwise.</summary>
    public List<StoredDeployment>? Deployments { get; set; }

    public bool IsEmpty => Namespaces is null && SearchAttributes is null && Runs.Count == 0 && DeletedRuns.Count == 0
        && Schedules.Count == 0 && DeletedSchedules.Count == 0 && Deployments is null;
}
