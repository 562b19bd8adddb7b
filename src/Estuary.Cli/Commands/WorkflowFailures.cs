using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.Cli.Commands;

/// <summary>How the command line reports a workflow that did not complete: one line, and the <c>--json</c> status.</summary>
internal static class WorkflowFailures
{
    /// <summary>Turns a workflow's failure into the command's failure (exit code 1).</summary>
    /// <param name="workflowType">The workflow type.</param>
    /// <param name="workflowId">The workflow id.</param>
    /// <param name="runId">The run waited on, if known.</param>
    /// <param name="failure">What the SDK raised.</param>
    /// <returns>The exception to throw: <c>Workflow ExampleWorkflow (id …) failed: activity get_entity_details failed: …</c>,
    /// with the <c>--json</c> status <c>failed</c>, <c>canceled</c>, <c>terminated</c> or <c>timedOut</c>.</returns>
    public static CommandFailedException Failed(string workflowType, string workflowId, string? runId, WorkflowFailedException failure)
    {
        var (status, outcome) = failure.InnerException switch
        {
            CanceledFailureException => ("canceled", "was canceled"),
            TerminatedFailureException => ("terminated", "was terminated"),
            TimeoutFailureException => ("timedOut", "timed out"),
            _ => ("failed", "failed"),
        };
        return new CommandFailedException(
            $"Workflow {workflowType} (id {workflowId}) {outcome}: {Describe(failure.InnerException ?? failure)}",
            failure,
            new Dictionary<string, object?>
            {
                ["workflowType"] = workflowType,
                ["workflowId"] = workflowId,
                ["runId"] = runId,
                ["status"] = status,
            });
    }

    /// <summary>Describes an exception and its causes on one line, naming activities and child workflows
    /// (<c>activity get_entity_details failed: Entity 42 not found</c>) rather than the SDK's generic wrappers.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>The description.</returns>
    public static string Describe(Exception exception)
    {
        var parts = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            parts.Add(e switch
            {
                ActivityFailureException a => $"activity {a.ActivityType} failed",
                ChildWorkflowFailureException c => $"child workflow {c.WorkflowType} failed",
                TimeoutFailureException t => $"timed out ({t.TimeoutType})",
                _ => e.Message,
            });
        }

        return string.Join(": ", parts.Select(p => p.ReplaceLineEndings(" ")));
    }
}
