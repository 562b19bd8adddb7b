using System.Collections.Concurrent;
using Temporalio.Activities;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.DevServer.Ui.Tests.Workflows;

/// <summary>Greets through one activity, so its history has ActivityTaskScheduled/Started/Completed.</summary>
[Workflow]
public sealed class GreetingWorkflow
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Temporal run methods are instance methods.")]
    [WorkflowRun]
    public Task<string> RunAsync(string name) =>
        Workflow.ExecuteActivityAsync(() => GreetingActivities.Greet(name), new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) });
}

public static class GreetingActivities
{
    [Activity("greet")]
    public static string Greet(string name) => name.Length > 0
        ? $"Hello, {name}!"
        : throw new ApplicationFailureException("Nobody to greet", errorType: "EmptyName", nonRetryable: true);

    /// <summary>Records a heartbeat, then fails: retried after a long backoff, so it stays pending with its last failure.</summary>
    [Activity("flaky")]
    public static string Flaky()
    {
        ActivityExecutionContext.Current.Heartbeat("halfway");
        throw new InvalidOperationException("The warehouse is closed");
    }
}

/// <summary>
/// Heartbeats, then fails once the test releases it, so a page can be looked at while the attempt runs. Keyed by
/// workflow id, so tests sharing the fixture's worker do not release each other's attempts.
/// </summary>
public sealed class GatedActivities
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _releases = new();

    /// <summary>Lets the running attempt of <paramref name="workflowId"/>'s activity fail.</summary>
    public void Release(string workflowId) => Gate(workflowId).TrySetResult();

    [Activity("flaky-when-released")]
    public async Task<string> FlakyWhenReleasedAsync()
    {
        var context = ActivityExecutionContext.Current;
        context.Heartbeat("halfway");
        await Gate(context.Info.WorkflowId ?? throw new InvalidOperationException("Runs only in a workflow.")).Task.WaitAsync(context.CancellationToken);
        throw new InvalidOperationException("The warehouse is closed");
    }

    private TaskCompletionSource Gate(string workflowId) =>
        _releases.GetOrAdd(workflowId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>Runs the named activity (<c>flaky</c>, <c>flaky-when-released</c>) with a ten-minute backoff between attempts.</summary>
[Workflow]
public sealed class RetryingWorkflow
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Temporal run methods are instance methods.")]
    [WorkflowRun]
    public Task<string> RunAsync(string activity) => Workflow.ExecuteActivityAsync<string>(activity, [], new()
    {
        StartToCloseTimeout = TimeSpan.FromMinutes(1),
        RetryPolicy = new() { InitialInterval = TimeSpan.FromMinutes(10), MaximumAttempts = 5 },
    });
}

/// <summary>Continues as new until <c>remaining</c> is 0.</summary>
[Workflow]
public sealed class ChainWorkflow
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Temporal run methods are instance methods.")]
    [WorkflowRun]
    public Task<string> RunAsync(int remaining) => remaining > 0
        ? throw Workflow.CreateContinueAsNewException((ChainWorkflow wf) => wf.RunAsync(remaining - 1))
        : Task.FromResult("end of chain");
}

/// <summary>Greets through a child workflow <c>{id}-child</c>.</summary>
[Workflow]
public sealed class ParentWorkflow
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Temporal run methods are instance methods.")]
    [WorkflowRun]
    public Task<string> RunAsync(string name) =>
        Workflow.ExecuteChildWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync(name), new() { Id = $"{Workflow.Info.WorkflowId}-child" });
}

/// <summary>Runs until signalled <c>finish</c>; <c>set-value</c> changes what the <c>value</c> query answers, which the run returns.</summary>
[Workflow]
public sealed class WaitingWorkflow
{
    private bool _finish;

    [WorkflowQuery("value")]
    public string Value { get; private set; } = "";

    [WorkflowRun]
    public async Task<string> RunAsync(string initial)
    {
        Value = initial;
        await Workflow.WaitConditionAsync(() => _finish);
        return Value;
    }

    [WorkflowSignal("set-value")]
    public Task SetValueAsync(string value)
    {
        Value = value;
        return Task.CompletedTask;
    }

    [WorkflowSignal("finish")]
    public Task FinishAsync()
    {
        _finish = true;
        return Task.CompletedTask;
    }
}
