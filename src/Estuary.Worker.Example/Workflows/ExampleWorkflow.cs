using Estuary.Temporal.Workflows;
using Estuary.Worker.Example.Activities;
using Microsoft.Extensions.Logging;
using Temporalio.Workflows;

namespace Estuary.Worker.Example.Workflows;

/// <summary>What <see cref="ExampleWorkflow"/> returns.</summary>
/// <param name="EntityId">The entity id.</param>
/// <param name="Status">Always <c>completed</c>.</param>
/// <param name="Result">What processing returned.</param>
/// <param name="CompletedAt">When the workflow completed (workflow time).</param>
public sealed record ExampleWorkflowResult(int EntityId, string Status, ProcessEntityResult Result, DateTime CompletedAt);

/// <summary>The seed's example workflow: reads an entity, then processes it.</summary>
[Workflow]
public sealed class ExampleWorkflow : EstuaryWorkflow
{
    /// <summary>Runs the workflow.</summary>
    /// <param name="entityId">The id of the entity to process.</param>
    /// <returns>The entity id, <c>completed</c>, the processing result and the completion time.</returns>
    [WorkflowRun]
    public async Task<ExampleWorkflowResult> RunAsync(int entityId)
    {
        Workflow.Logger.LogInformation("Starting example workflow for entity {EntityId}", entityId);

        await ExecuteActivityAsync((ExampleActivities a) => a.GetEntityDetailsAsync(entityId), TimeSpan.FromSeconds(10));
        var result = await ExecuteActivityAsync((ExampleActivities a) => a.ProcessEntityAsync(entityId), TimeSpan.FromSeconds(30));

        return new ExampleWorkflowResult(entityId, "completed", result, Workflow.UtcNow);
    }
}
