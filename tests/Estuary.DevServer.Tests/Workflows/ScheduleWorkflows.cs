using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>
/// Counts the runs of its schedule through the last completion result, reports the failure it was handed, and fails
/// when its count is one of <c>failAt</c> and it was handed no failure (so the run after a failure, counting the same,
/// succeeds).
/// </summary>
[Workflow]
public sealed class ScheduledCounterWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(int[] failAt)
    {
        var previous = Workflow.Info.LastResult is { Count: > 0 } last
            ? Workflow.PayloadConverter.ToValue<string>(last.First().Payload)
            : "0";
        var count = int.Parse(previous.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) + 1;
        if (failAt.Contains(count) && Workflow.Info.LastFailure is null)
        {
            throw new ApplicationFailureException($"run {count} fails", "ScheduledFailure");
        }
        return Task.FromResult(Workflow.Info.LastFailure is { } failure ? $"{count} after {failure.Message}" : $"{count}");
    }
}

/// <summary>Sleeps for the given time, then returns when it started (server time), so overlapping runs show.</summary>
[Workflow]
public sealed class ScheduledSleepWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(TimeSpan sleep)
    {
        var started = Workflow.UtcNow;
        await Workflow.DelayAsync(sleep);
        return started.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Runs until signalled, then returns what it was signalled.</summary>
[Workflow]
public sealed class ScheduledUntilSignalledWorkflow
{
    private string? _value;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => _value is not null);
        return _value!;
    }

    [WorkflowSignal]
    public Task FinishAsync(string value)
    {
        _value = value;
        return Task.CompletedTask;
    }
}
