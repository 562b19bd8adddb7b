using Temporalio.Activities;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>An activity that answers at once.</summary>
public sealed class EchoActivities
{
    [Activity]
    public string Echo(string value) => value;
}

/// <summary>
/// Gives each thing it starts a summary: an activity, a timer and (unless it is the child) a child with a static
/// summary and details.
/// </summary>
[Workflow]
public sealed class SummarizedWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(bool isChild)
    {
        if (isChild)
        {
            return "child";
        }
        await Workflow.ExecuteActivityAsync((EchoActivities a) => a.Echo("x"),
            new() { StartToCloseTimeout = TimeSpan.FromSeconds(30), Summary = "echo once" });
        await Workflow.DelayWithOptionsAsync(new(TimeSpan.FromMilliseconds(10)) { Summary = "short nap" });
        return await Workflow.ExecuteChildWorkflowAsync((SummarizedWorkflow wf) => wf.RunAsync(true), new()
        {
            Id = $"{Workflow.Info.WorkflowId}-child",
            StaticSummary = "child summary",
            StaticDetails = "child details",
        });
    }
}
