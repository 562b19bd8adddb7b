using Estuary.DevServer.Runs;

namespace Estuary.DevServer.Namespaces;

/// <summary>
/// The runs of one workflow id in a namespace: the latest one (what a request without a run id means) and the
/// lock all of them share (the entry itself), so a start with its conflict and reuse policies, and a chain's next
/// run (retry, cron, continue-as-new), act on the id atomically. Every change to a run happens under it.
/// </summary>
internal sealed class WorkflowIdEntry(NamespaceEntry ns, string workflowId)
{
    public NamespaceEntry Namespace { get; } = ns;

    public string WorkflowId { get; } = workflowId;

    /// <summary>The latest run, or null once it was dropped (retention).</summary>
    public WorkflowRun? Latest { get; set; }

    /// <summary>Runs of this id the namespace still holds.</summary>
    public int RunCount { get; set; }

    /// <summary>
    /// Set (under the entry's lock) when the id's last run was dropped and the entry left the namespace: a caller
    /// holding it looks the id up again.
    /// </summary>
    public bool IsRemoved { get; set; }
}
