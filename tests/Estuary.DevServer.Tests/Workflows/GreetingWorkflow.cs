using Temporalio.Activities;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

public sealed class GreetingActivities
{
    [Activity]
    public string Greet(string name) => $"Hello, {name}!";
}

[Workflow]
public sealed class GreetingWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string name) =>
        await Workflow.ExecuteActivityAsync((GreetingActivities a) => a.Greet(name), new() { StartToCloseTimeout = TimeSpan.FromSeconds(10) });
}
