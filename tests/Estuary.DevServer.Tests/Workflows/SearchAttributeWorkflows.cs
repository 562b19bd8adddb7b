using Temporalio.Common;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>Sets a search attribute nobody registered, by upsert or on a child it starts, then waits.</summary>
[Workflow]
public sealed class UnregisteredSearchAttributeWorkflow
{
    public static readonly SearchAttributeKey<string> Key = SearchAttributeKey.CreateKeyword("EstuaryNeverRegistered");

    [WorkflowRun]
    public async Task RunAsync(bool onChild)
    {
        if (onChild)
        {
            await Workflow.StartChildWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new()
            {
                Id = $"{Workflow.Info.WorkflowId}-child",
                TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(Key, "x").ToSearchAttributeCollection(),
            });
        }
        else
        {
            Workflow.UpsertTypedSearchAttributes(Key.ValueSet("x"));
        }
        await Workflow.WaitConditionAsync(() => false);
    }
}
