using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>Activities whose behaviour depends on the attempt number the server hands them.</summary>
public sealed class FlakyActivities
{
    [Activity]
    public string FailTwice()
    {
        var attempt = ActivityExecutionContext.Current.Info.Attempt;
        if (attempt < 3)
        {
            throw new ApplicationFailureException($"attempt {attempt} failed", "Flaky");
        }
        return $"succeeded on attempt {attempt}";
    }

    [Activity]
    public string FailNonRetryable() => throw new ApplicationFailureException("permanent problem", "Permanent", nonRetryable: true);

    [Activity]
    public string FailWithType() => throw new ApplicationFailureException("bad input", "BadInput");

    [Activity]
    public string AlwaysFail() => throw new ApplicationFailureException($"attempt {ActivityExecutionContext.Current.Info.Attempt} failed", "Flaky");

    /// <summary>First attempt outlives its start-to-close timeout; the second one answers at once.</summary>
    [Activity]
    public async Task<string> SlowFirstAttemptAsync()
    {
        var info = ActivityExecutionContext.Current.Info;
        if (info.Attempt == 1)
        {
            await Task.Delay(TimeSpan.FromSeconds(5), ActivityExecutionContext.Current.CancellationToken);
        }
        return $"attempt {info.Attempt}";
    }

    /// <summary>Heartbeats progress, then stops heartbeating on the first attempt so the heartbeat timeout fires.</summary>
    [Activity]
    public async Task<string> HeartbeatThenStallAsync()
    {
        var context = ActivityExecutionContext.Current;
        if (context.Info.Attempt == 1)
        {
            context.Heartbeat("checkpoint-1");
            await Task.Delay(TimeSpan.FromSeconds(5), context.CancellationToken);
            return "first attempt finished";
        }
        var details = context.Info.HeartbeatDetails.Count > 0 ? await context.Info.HeartbeatDetailAtAsync<string>(0) : "none";
        return $"attempt {context.Info.Attempt} resumed from {details}";
    }

    /// <summary>Heartbeats until the server reports the cancellation the workflow requested.</summary>
    [Activity]
    public async Task<string> WaitForCancelAsync()
    {
        var context = ActivityExecutionContext.Current;
        while (true)
        {
            context.Heartbeat();
            await Task.Delay(TimeSpan.FromMilliseconds(100), context.CancellationToken);
        }
    }

    [Activity]
    public string Echo(string value) => value;
}

[Workflow]
public sealed class ActivityWorkflow
{
    /// <summary>Runs the named activity with the given options and returns its result.</summary>
    [WorkflowRun]
    public async Task<string> RunAsync(string activity, int maximumAttempts, double startToCloseSeconds, double heartbeatSeconds)
    {
        var options = new ActivityOptions
        {
            StartToCloseTimeout = TimeSpan.FromSeconds(startToCloseSeconds),
            RetryPolicy = new RetryPolicy
            {
                InitialInterval = TimeSpan.FromMilliseconds(100),
                MaximumAttempts = maximumAttempts,
                NonRetryableErrorTypes = ["BadInput"],
            },
        };
        if (heartbeatSeconds > 0)
        {
            options.HeartbeatTimeout = TimeSpan.FromSeconds(heartbeatSeconds);
        }
        return await Workflow.ExecuteActivityAsync<string>(activity, [], options);
    }
}

[Workflow]
public sealed class FailingWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(string message) => throw new ApplicationFailureException(message, "WorkflowBroke", details: ["detail-1"]);
}

[Workflow]
public sealed class SleepWorkflow
{
    [WorkflowRun]
    public async Task<DateTime> RunAsync(TimeSpan duration)
    {
        await Workflow.DelayAsync(duration);
        return Workflow.UtcNow;
    }
}

/// <summary>Waits for a signal (or cancellation) — stays open as long as the test needs.</summary>
[Workflow]
public sealed class WaitForSignalWorkflow
{
    private readonly List<string> _received = [];

    [WorkflowRun]
    public async Task<string> RunAsync(int signalsExpected)
    {
        await Workflow.WaitConditionAsync(() => _received.Count >= signalsExpected);
        return string.Join(",", _received);
    }

    [WorkflowQuery]
    public int ReceivedCount => _received.Count;

    [WorkflowSignal]
    public Task AddAsync(string value)
    {
        _received.Add(value);
        return Task.CompletedTask;
    }
}

[Workflow]
public sealed class CountdownWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(int remaining, string trail)
    {
        if (remaining > 0)
        {
            throw Workflow.CreateContinueAsNewException((CountdownWorkflow wf) => wf.RunAsync(remaining - 1, $"{trail}{remaining},"));
        }
        await Task.CompletedTask;
        return $"{trail}done";
    }
}

/// <summary>Starts a timer and cancels it, then records a marker (local activity) and a memo change.</summary>
[Workflow]
public sealed class CommandsWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        using var timerCancel = new CancellationTokenSource();
        var timer = Workflow.DelayAsync(TimeSpan.FromHours(1), timerCancel.Token);
        await Workflow.DelayAsync(TimeSpan.FromMilliseconds(50));
        timerCancel.Cancel();
        try
        {
            await timer;
        }
        catch (TaskCanceledException)
        {
            // Expected: the timer was cancelled on purpose.
        }
        var local = await Workflow.ExecuteLocalActivityAsync((FlakyActivities a) => a.Echo("local"), new() { StartToCloseTimeout = TimeSpan.FromSeconds(5) });
        Workflow.UpsertMemo([MemoUpdate.ValueSet("stage", "done")]);
        return local;
    }
}

/// <summary>Cancels its own activity after it started and reports how the activity ended.</summary>
[Workflow]
public sealed class CancelActivityWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        using var cancel = new CancellationTokenSource();
        var activity = Workflow.ExecuteActivityAsync((FlakyActivities a) => a.WaitForCancelAsync(), new()
        {
            StartToCloseTimeout = TimeSpan.FromSeconds(30),
            HeartbeatTimeout = TimeSpan.FromSeconds(5),
            CancellationToken = cancel.Token,
            CancellationType = ActivityCancellationType.WaitCancellationCompleted,
        });
        await Workflow.DelayAsync(TimeSpan.FromMilliseconds(300));
        cancel.Cancel();
        try
        {
            return await activity;
        }
        catch (ActivityFailureException e) when (e.InnerException is CanceledFailureException)
        {
            return "activity cancelled";
        }
    }
}

/// <summary>Throws a plain exception on its first workflow task attempt: the SDK fails the task and the server retries it.</summary>
[Workflow]
public sealed class FlakyTaskWorkflow
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Attempts = new();

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        if (Attempts.AddOrUpdate(Workflow.Info.WorkflowId, 1, (_, count) => count + 1) == 1)
        {
            throw new InvalidOperationException("workflow task bug");
        }
        await Task.CompletedTask;
        return "recovered";
    }
}

/// <summary>Schedules an activity on a queue nobody polls, with a short schedule-to-start timeout.</summary>
[Workflow]
public sealed class ScheduleToStartWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync() =>
        await Workflow.ExecuteActivityAsync((FlakyActivities a) => a.Echo("never"), new()
        {
            TaskQueue = $"{Workflow.Info.TaskQueue}-nobody",
            ScheduleToStartTimeout = TimeSpan.FromSeconds(1),
            StartToCloseTimeout = TimeSpan.FromSeconds(5),
        });
}
