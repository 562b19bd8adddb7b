using Temporalio.Activities;
using Temporalio.Workflows;

namespace Estuary.DevServer.Bench;

public sealed class BenchActivities
{
    [Activity]
    public string Echo(string input) => input;
}

[Workflow]
public sealed class BenchWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string input) =>
        await Workflow.ExecuteActivityAsync((BenchActivities a) => a.Echo(input), new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });
}
