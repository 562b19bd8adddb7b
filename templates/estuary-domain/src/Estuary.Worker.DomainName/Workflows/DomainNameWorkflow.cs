using Estuary.Temporal.Workflows;
using Estuary.Worker.DomainName.Activities;
using Microsoft.Extensions.Logging;
using Temporalio.Workflows;

namespace Estuary.Worker.DomainName.Workflows;

/// <summary>Processes one item of the DomainName domain: <c>estuary trigger domainname domainname &lt;item id&gt; --wait</c>.</summary>
[Workflow]
public sealed class DomainNameWorkflow : EstuaryWorkflow
{
    /// <summary>Runs the workflow. Deterministic: time, timers and logs only through <see cref="Workflow"/>.</summary>
    /// <param name="itemId">The id of the item to process.</param>
    /// <returns>What processing did.</returns>
    [WorkflowRun]
    public async Task<ProcessedDomainNameItem> RunAsync(int itemId)
    {
        Workflow.Logger.LogInformation("Processing DomainName item {ItemId}", itemId);
        return await ExecuteActivityAsync((DomainNameActivities a) => a.ProcessItemAsync(itemId));
    }
}
