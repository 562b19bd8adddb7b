using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>A priority as the SDK shows it to a workflow or activity.</summary>
public sealed record SeenPriority(int? PriorityKey, string? FairnessKey, float? FairnessWeight)
{
    public static SeenPriority Of(Priority priority) => new(priority.PriorityKey, priority.FairnessKey, priority.FairnessWeight);
}

/// <summary>Reports the priority its task came with (<c>ActivityInfo.Priority</c>).</summary>
public sealed class PriorityActivities
{
    [Activity]
    public SeenPriority SeenPriority() => Workflows.SeenPriority.Of(ActivityExecutionContext.Current.Info.Priority);
}

/// <summary>
/// Reports its own priority, then (unless it is a child) what an activity and a child see with a priority of their own
/// that sets only some fields, and without one.
/// </summary>
[Workflow]
public sealed class PriorityWorkflow
{
    [WorkflowRun]
    public async Task<List<SeenPriority>> RunAsync(bool isChild)
    {
        var seen = new List<SeenPriority> { SeenPriority.Of(Workflow.Info.Priority) };
        if (isChild)
        {
            return seen;
        }
        var timeout = TimeSpan.FromSeconds(30);
        seen.Add(await Workflow.ExecuteActivityAsync((PriorityActivities a) => a.SeenPriority(),
            new() { StartToCloseTimeout = timeout, Priority = new(priorityKey: 3) }));
        seen.Add(await Workflow.ExecuteActivityAsync((PriorityActivities a) => a.SeenPriority(), new() { StartToCloseTimeout = timeout }));
        seen.AddRange(await Workflow.ExecuteChildWorkflowAsync((PriorityWorkflow wf) => wf.RunAsync(true),
            new() { Id = $"{Workflow.Info.WorkflowId}-own", Priority = new(fairnessKey: "tenant-b") }));
        seen.AddRange(await Workflow.ExecuteChildWorkflowAsync((PriorityWorkflow wf) => wf.RunAsync(true),
            new() { Id = $"{Workflow.Info.WorkflowId}-inherited" }));
        return seen;
    }
}
