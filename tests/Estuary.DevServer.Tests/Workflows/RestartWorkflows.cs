using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>
/// Activities that leave a trace outside the server — one line per execution in a file — so a test can tell how
/// often each ran, whatever the server did meanwhile.
/// </summary>
public sealed class TracedActivities(string traceFile)
{
    private static readonly Lock FileLock = new();

    private void Trace(string line)
    {
        lock (FileLock)
        {
            File.AppendAllLines(traceFile, [line]);
        }
    }

    public IReadOnlyList<string> Lines() => File.Exists(traceFile) ? File.ReadAllLines(traceFile) : [];

    [Activity]
    public string Greet(string name)
    {
        Trace($"greet {name}");
        return $"hello {name}";
    }

    /// <summary>Fails its first attempt (retryable); each attempt is traced with its number.</summary>
    [Activity]
    public string FailFirstAttempt(string key)
    {
        var attempt = ActivityExecutionContext.Current.Info.Attempt;
        Trace($"{key} attempt {attempt}");
        if (attempt == 1)
        {
            throw new ApplicationFailureException("first attempt fails", "Flaky");
        }
        return $"{key} succeeded on attempt {attempt}";
    }

    /// <summary>Traced, then waits until <paramref name="release"/> exists: holds its task while the test restarts the server.</summary>
    [Activity]
    public async Task<string> WaitForFileAsync(string key, string release)
    {
        Trace($"{key} started");
        while (!File.Exists(release))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), ActivityExecutionContext.Current.CancellationToken);
        }
        Trace($"{key} finished");
        return $"{key} done";
    }
}

/// <summary>Sleeps, then greets through an activity.</summary>
[Workflow]
public sealed class SleepThenGreetWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(TimeSpan sleep, string name)
    {
        await Workflow.DelayAsync(sleep);
        return await Workflow.ExecuteActivityAsync((TracedActivities a) => a.Greet(name), new() { StartToCloseTimeout = TimeSpan.FromSeconds(10) });
    }
}

/// <summary>Runs one activity that fails its first attempt, retried after <c>backoff</c>.</summary>
[Workflow]
public sealed class RetriedActivityWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(string key, TimeSpan backoff) =>
        Workflow.ExecuteActivityAsync((TracedActivities a) => a.FailFirstAttempt(key), new()
        {
            StartToCloseTimeout = TimeSpan.FromSeconds(10),
            RetryPolicy = new RetryPolicy { InitialInterval = backoff, MaximumAttempts = 5 },
        });
}

/// <summary>Runs one activity that holds its task until the test releases it.</summary>
[Workflow]
public sealed class HeldActivityWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(string key, string release) =>
        Workflow.ExecuteActivityAsync((TracedActivities a) => a.WaitForFileAsync(key, release), new()
        {
            StartToCloseTimeout = TimeSpan.FromMinutes(1),
            RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromMilliseconds(200) },
        });
}

/// <summary>Collects items through updates and signals until signalled to finish.</summary>
[Workflow]
public sealed class UpdatableWorkflow
{
    private readonly List<string> _items = [];
    private bool _finished;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => _finished);
        return string.Join(",", _items);
    }

    [WorkflowUpdate]
    public Task<int> AddAsync(string item)
    {
        _items.Add(item);
        return Task.FromResult(_items.Count);
    }

    [WorkflowSignal]
    public Task PostAsync(string item)
    {
        _items.Add(item);
        return Task.CompletedTask;
    }

    [WorkflowSignal]
    public Task FinishAsync()
    {
        _finished = true;
        return Task.CompletedTask;
    }
}

/// <summary>Fails its first attempt; its retry policy runs it again.</summary>
[Workflow]
public sealed class RetriedWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync() =>
        Workflow.Info.Attempt < 2
            ? throw new ApplicationFailureException("first attempt fails", "WorkflowFlaky")
            : Task.FromResult($"attempt {Workflow.Info.Attempt}");
}

/// <summary>
/// A cron workflow counting its runs through the last result; the run that reaches <c>runs</c> continues as new
/// without a schedule, which ends the chain with a result.
/// </summary>
[Workflow]
public sealed class CountedCronWorkflow
{
    [WorkflowRun]
    public Task<string> RunAsync(int runs)
    {
        if (runs < 0)
        {
            return Task.FromResult($"chain ended after {-runs} runs");
        }
        var count = (Workflow.Info.LastResult is { Count: > 0 } last ? int.Parse(Workflow.PayloadConverter.ToValue<string>(last.First().Payload), System.Globalization.CultureInfo.InvariantCulture) : 0) + 1;
        if (count >= runs)
        {
            throw Workflow.CreateContinueAsNewException((CountedCronWorkflow wf) => wf.RunAsync(-count));
        }
        return Task.FromResult(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>Starts a <see cref="WaitForSignalWorkflow"/> child and returns what it returns.</summary>
[Workflow]
public sealed class ParentOfSignalledChildWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string childId) =>
        "child got " + await Workflow.ExecuteChildWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new() { Id = childId });
}

