using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>What the parent does with its child.</summary>
public sealed record ChildPlan(
    string ChildId,
    string ChildMode,
    string? ChildTaskQueue = null,
    TimeSpan? ChildRunTimeout = null,
    ParentClosePolicy ClosePolicy = ParentClosePolicy.None,
    bool WaitForResult = true);

/// <summary>Starts one child and returns its result, or returns as soon as the child started.</summary>
[Workflow]
public sealed class ParentWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(ChildPlan plan)
    {
        var options = new ChildWorkflowOptions
        {
            Id = plan.ChildId,
            TaskQueue = plan.ChildTaskQueue,
            RunTimeout = plan.ChildRunTimeout,
            ParentClosePolicy = plan.ClosePolicy,
        };
        try
        {
            var handle = await Workflow.StartChildWorkflowAsync((ChildWorkflow wf) => wf.RunAsync(plan.ChildMode), options);
            return plan.WaitForResult ? await handle.GetResultAsync() : $"started {handle.FirstExecutionRunId}";
        }
        catch (WorkflowAlreadyStartedException e)
        {
            return $"already started: {e.WorkflowId}";
        }
    }
}

/// <summary>A child that answers, fails, continues as new, or waits until it is cancelled, terminated or timed out.</summary>
[Workflow]
public sealed class ChildWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string mode)
    {
        switch (mode)
        {
            case "fail":
                throw new ApplicationFailureException("child broke", "ChildBroke");
            case "continue":
                throw Workflow.CreateContinueAsNewException((ChildWorkflow wf) => wf.RunAsync("continued"));
            case "wait":
                await Workflow.WaitConditionAsync(() => false);
                return "never";
            default:
                return $"child says {mode} from {Workflow.Info.TaskQueue}, parent {Workflow.Info.Parent?.WorkflowId}";
        }
    }
}
