using Temporalio.Api.History.V1;

namespace Estuary.DevServer.State;

/// <summary>
/// A child workflow seen from its parent run: from the StartChildWorkflowExecutionInitiated event until the
/// child's close event is delivered to the parent (or the parent closes and applies the parent close policy).
/// </summary>
internal sealed class ChildWorkflowState
{
    public required WorkflowRun Parent { get; init; }

    public required long InitiatedEventId { get; init; }

    public required StartChildWorkflowExecutionInitiatedEventAttributes Initiated { get; init; }

    public required NamespaceEntry Namespace { get; init; }

    /// <summary>The child's first run; the parent's events name it even after the child continues as new.</summary>
    public WorkflowRun? FirstRun { get; set; }

    /// <summary>The child's latest run (continue-as-new and retries move it on); parent close policies act on it.</summary>
    public WorkflowRun? CurrentRun { get; set; }

    /// <summary>The parent's ChildWorkflowExecutionStarted event (its id is known once it is written).</summary>
    public HistoryEvent? StartedEvent { get; set; }
}
