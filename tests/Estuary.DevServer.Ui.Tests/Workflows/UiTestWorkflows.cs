using Temporalio.Activities;
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
    public static string Greet(string name) => $"Hello, {name}!";
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
