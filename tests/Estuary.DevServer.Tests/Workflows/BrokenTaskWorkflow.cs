using System.Collections.Concurrent;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>
/// Its workflow task throws a non-Temporal exception (so the SDK fails the task and the server retries it) as long
/// as the test keeps it broken; once repaired it waits for the signals it expects and returns them.
/// </summary>
[Workflow]
public sealed class BrokenTaskWorkflow
{
    private static readonly ConcurrentDictionary<string, int> FailuresLeft = new();
    private readonly List<string> _received = [];

    /// <summary>Makes the next <paramref name="times"/> task attempts of <paramref name="workflowId"/> throw.</summary>
    public static void Break(string workflowId, int times = int.MaxValue) => FailuresLeft[workflowId] = times;

    public static void Repair(string workflowId) => FailuresLeft[workflowId] = 0;

    [WorkflowRun]
    public async Task<string> RunAsync(int signalsExpected)
    {
        ThrowWhileBroken();
        await Workflow.WaitConditionAsync(() => _received.Count >= signalsExpected);
        return string.Join(",", _received);
    }

    /// <summary>Throws too while broken, so a cached (sticky) workflow fails on a later task.</summary>
    [WorkflowSignal]
    public Task AddAsync(string value)
    {
        ThrowWhileBroken();
        _received.Add(value);
        return Task.CompletedTask;
    }

    private static void ThrowWhileBroken()
    {
        var id = Workflow.Info.WorkflowId;
        if (FailuresLeft.TryGetValue(id, out var left) && left > 0)
        {
            FailuresLeft[id] = left - 1;
            throw new InvalidOperationException("workflow task bug");
        }
    }
}
