using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>
/// Activities an operator acts on while they run or wait. Each test has its own instance: its first run reports that
/// it started, later runs answer at once with their attempt and run number.
/// </summary>
public sealed class OperatorActivities
{
    private int _runs;

    /// <summary>Set once the first run has started.</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the first run of <see cref="BlockAsync"/> finish.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Why the first run was interrupted, as the SDK told it (paused, reset).</summary>
    public ActivityCancellationDetails? Interrupted { get; private set; }

    /// <summary>The first run heartbeats until the server tells it to stop, then fails; later runs succeed.</summary>
    [Activity]
    public async Task<string> HeartbeatAsync()
    {
        var context = ActivityExecutionContext.Current;
        var run = Interlocked.Increment(ref _runs);
        if (run > 1)
        {
            return $"attempt {context.Info.Attempt} run {run}";
        }
        Started.TrySetResult();
        try
        {
            while (true)
            {
                context.Heartbeat("working");
                await Task.Delay(TimeSpan.FromMilliseconds(100), context.CancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            Interrupted = context.CancellationDetails;
            throw;
        }
    }

    /// <summary>The first run fails; later runs succeed.</summary>
    [Activity]
    public string FailFirst()
    {
        var run = Interlocked.Increment(ref _runs);
        if (run == 1)
        {
            throw new ApplicationFailureException("first run fails");
        }
        return $"attempt {ActivityExecutionContext.Current.Info.Attempt} run {run}";
    }

    /// <summary>Runs until the test releases it.</summary>
    [Activity]
    public async Task<string> BlockAsync()
    {
        Interlocked.Increment(ref _runs);
        Started.TrySetResult();
        await Release.Task;
        return "released";
    }
}

/// <summary>
/// Runs one activity by name (of <see cref="OperatorActivities"/> or <see cref="HeartbeatActivities"/>) with a one-hour
/// retry backoff and a two-second heartbeat timeout.
/// </summary>
[Workflow]
public sealed class OperatorWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(string activity) =>
        Workflow.ExecuteActivityAsync<string>(activity, [], new()
        {
            ActivityId = "operated",
            StartToCloseTimeout = TimeSpan.FromMinutes(5),
            HeartbeatTimeout = TimeSpan.FromSeconds(2),
            RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromHours(1), BackoffCoefficient = 1 },
        });
}
