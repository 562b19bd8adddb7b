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

/// <summary>Waits on a one-hour timer: an open workflow with a pending timer, as a file full of them holds.</summary>
[Workflow]
public sealed class SleepingWorkflow
{
    [WorkflowRun]
    public Task RunAsync() => Workflow.DelayAsync(TimeSpan.FromHours(1));
}

/// <summary>Waits on a timer, so many run at once, then runs one activity.</summary>
[Workflow]
public sealed class ConcurrentWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.DelayAsync(TimeSpan.FromSeconds(5));
        return await Workflow.ExecuteActivityAsync((BenchActivities a) => a.Echo("x"), new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });
    }
}
