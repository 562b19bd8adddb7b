using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>Adds signalled amounts until it reaches a target; its state is readable by queries.</summary>
[Workflow]
public sealed class CounterWorkflow
{
    private int _count;

    [WorkflowRun]
    public async Task<int> RunAsync(int target)
    {
        await Workflow.WaitConditionAsync(() => _count >= target);
        return _count;
    }

    [WorkflowSignal]
    public Task AddAsync(int amount)
    {
        _count += amount;
        return Task.CompletedTask;
    }

    [WorkflowQuery]
    public int Count => _count;

    [WorkflowQuery]
    public int Broken() => throw new InvalidOperationException("the query broke");
}
