using Temporalio.Api.Namespace.V1;

namespace Estuary.DevServer.State;

/// <summary>A registered namespace and the workflow runs it holds.</summary>
internal sealed class NamespaceEntry
{
    public required string Name { get; init; }

    public required string Id { get; init; }

    public required TimeSpan Retention { get; set; }

    public string Description { get; set; } = "";

    public string OwnerEmail { get; set; } = "";

    public Dictionary<string, string> Data { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs by run id.</summary>
    public Dictionary<string, WorkflowRun> Runs { get; } = new(StringComparer.Ordinal);

    /// <summary>Latest run by workflow id.</summary>
    public Dictionary<string, WorkflowRun> LatestRuns { get; } = new(StringComparer.Ordinal);

    /// <summary>Closed runs still held, oldest close first (one retention per namespace keeps it ordered by expiry too).</summary>
    public Queue<WorkflowRun> ClosedRuns { get; } = new();

    /// <param name="eagerWorkflowStart">Whether the server hands out eager workflow tasks (a server-wide setting here).</param>
    public NamespaceInfo ToInfo(bool eagerWorkflowStart) => new()
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
