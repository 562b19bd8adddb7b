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

/// <summary>One long-running workflow that the signal, query and update scenarios aim at.</summary>
[Workflow]
public sealed class BenchTargetWorkflow
{
    private int _count;

    [WorkflowRun]
    public Task RunAsync() => Workflow.WaitConditionAsync(() => false);

    [WorkflowSignal]
    public Task AddAsync()
    {
        _count++;
        return Task.CompletedTask;
    }

    [WorkflowQuery]
    public int Count => _count;

    [WorkflowUpdate]
    public Task<int> IncrementAsync() => Task.FromResult(++_count);
}
