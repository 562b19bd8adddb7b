using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>What a run knows of its lineage: its parent and root as the SDK shows them (Workflow.Info).</summary>
public sealed record Lineage(string WorkflowId, string RunId, string? ParentId, string? RootId, string? RootRunId);

/// <summary>
/// Starts a chain of children <c>depth</c> deep and returns the lineage each level saw, top first. With
/// <c>continueFirst</c> the run continues as new once before anything else.
/// </summary>
[Workflow]
public sealed class LineageWorkflow
{
    [WorkflowRun]
    public async Task<List<Lineage>> RunAsync(int depth, bool continueFirst)
    {
        if (continueFirst)
        {
            throw Workflow.CreateContinueAsNewException((LineageWorkflow wf) => wf.RunAsync(depth, false));
        }
        var info = Workflow.Info;
        var lineage = new List<Lineage> { new(info.WorkflowId, info.RunId, info.Parent?.WorkflowId, info.Root?.WorkflowId, info.Root?.RunId) };
        if (depth > 0)
        {
            lineage.AddRange(await Workflow.ExecuteChildWorkflowAsync(
                (LineageWorkflow wf) => wf.RunAsync(depth - 1, false),
                new() { Id = $"{info.WorkflowId}-child" }));
        }
        return lineage;
    }
}
