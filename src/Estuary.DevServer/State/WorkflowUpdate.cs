using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Update.V1;

namespace Estuary.DevServer.State;

/// <summary>
/// One workflow update of a run: admitted by UpdateWorkflowExecution, sent to a worker as a protocol message on
/// a workflow task, then accepted (UpdateAccepted event) and completed (UpdateCompleted event), or rejected by
/// the worker's validator (nothing written to history). Callers wait on it through <see cref="WaitForChange"/>.
/// </summary>
internal sealed class WorkflowUpdate
{
    private TaskCompletionSource? _changed;

    public required string UpdateId { get; init; }

    public required Request Request { get; init; }

    public required WorkflowRun Run { get; init; }

    public UpdateWorkflowExecutionLifecycleStage Stage { get; private set; } = UpdateWorkflowExecutionLifecycleStage.Admitted;

    /// <summary>Handed to a worker on the workflow task that is running now; false again if that task fails.</summary>
    public bool IsSent { get; set; }

    public long AcceptedEventId { get; private set; }

    /// <summary>Set once the update completed (success, failure in the handler, or rejection).</summary>
    public Outcome? Outcome { get; private set; }

    /// <summary>Set when the update ended without an outcome (its run closed before accepting it).</summary>
    public RpcException? Error { get; private set; }

    public bool IsFinished => Outcome is not null || Error is not null;

    /// <summary>Id of the request message, also written to the UpdateAccepted event.</summary>
    public string RequestMessageId => UpdateId + "/request";

    public void Accept(long acceptedEventId)
    {
        AcceptedEventId = acceptedEventId;
        Stage = UpdateWorkflowExecutionLifecycleStage.Accepted;
        Notify();
    }

    public void Complete(Outcome outcome)
    {
        Outcome = outcome;
        Stage = UpdateWorkflowExecutionLifecycleStage.Completed;
        Notify();
    }

    public void Abort(RpcException error)
    {
        Error = error;
        Notify();
    }

    /// <summary>A task that completes on the next change of stage.</summary>
    public Task WaitForChange()
    {
        _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _changed.Task;
    }

    private void Notify()
    {
        _changed?.TrySetResult();
        _changed = null;
    }
}
