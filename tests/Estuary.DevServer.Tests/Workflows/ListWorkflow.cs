using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>Collects items added by updates until a Finish signal; its updates validate, fail and wait.</summary>
[Workflow]
public sealed class ListWorkflow
{
    private readonly List<string> _items = [];
    private bool _finished;
    private bool _released;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => _finished);
        return string.Join(",", _items);
    }

    /// <summary>Adds an item and returns how many there are.</summary>
    [WorkflowUpdate]
    public Task<int> AddAsync(string item)
    {
        _items.Add(item);
        return Task.FromResult(_items.Count);
    }

    [WorkflowUpdateValidator(nameof(AddAsync))]
    public void ValidateAdd(string item)
    {
        if (string.IsNullOrEmpty(item))
        {
            throw new ApplicationFailureException("an item must not be empty");
        }
    }

    /// <summary>Accepted at once, adds its item only after the Release signal.</summary>
    [WorkflowUpdate]
    public async Task<int> AddAfterReleaseAsync(string item)
    {
        await Workflow.WaitConditionAsync(() => _released);
        _items.Add(item);
        return _items.Count;
    }

    [WorkflowUpdate]
    public Task<int> BrokenAsync() => throw new ApplicationFailureException("the update broke");

    [WorkflowSignal]
    public Task ReleaseAsync()
    {
        _released = true;
        return Task.CompletedTask;
    }

    [WorkflowSignal]
    public Task FinishAsync()
    {
        _finished = true;
        return Task.CompletedTask;
    }

    [WorkflowQuery]
    public int Count => _items.Count;
}
