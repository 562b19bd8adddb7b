using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>Signals or cancels another workflow through an external workflow handle and reports how it went.</summary>
[Workflow]
public sealed class ExternalWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string action, string targetId)
    {
        try
        {
            if (action == "signal")
            {
                await Workflow.GetExternalWorkflowHandle<WaitForSignalWorkflow>(targetId).SignalAsync(wf => wf.AddAsync("from outside"));
            }
            else
            {
                await Workflow.GetExternalWorkflowHandle(targetId).CancelAsync();
            }
            return "done";
        }
        catch (FailureException e)
        {
            return $"failed: {e.Message}";
        }
    }
}

/// <summary>Starts a child that waits forever, then cancels it through its cancellation token.</summary>
[Workflow]
public sealed class CancelChildWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string childId)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Workflow.CancellationToken);
        var child = await Workflow.StartChildWorkflowAsync((ChildWorkflow wf) => wf.RunAsync("wait"),
            new() { Id = childId, CancellationToken = cancel.Token });
        // Cancel, not CancelAsync: the latter schedules work on the thread pool, which a workflow must not do.
        cancel.Cancel();
        try
        {
            return await child.GetResultAsync();
        }
        catch (ChildWorkflowFailureException e) when (e.InnerException is CanceledFailureException)
        {
            return "child canceled";
        }
    }
}
