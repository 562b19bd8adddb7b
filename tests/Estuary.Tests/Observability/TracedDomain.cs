using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Workflows;
using Microsoft.Extensions.Logging;
using Temporalio.Activities;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.Tests.Observability;

/// <summary>A domain of this test assembly whose workflows exercise what tracing must follow: retries, failures, timers.</summary>
/// <param name="name">
/// The domain's name. Estuary's metrics are tagged with it and its meter is process-wide: a test counting them names
/// its own domain, so executions of tests running beside it are not counted.
/// </param>
internal sealed class TracedDomain(string name = "traced") : EstuaryDomain
{
    public override string Name => name;

    public override string Description => "Tracing fixtures";

    public override IEnumerable<Type> Types =>
        [typeof(RetriedWorkflow), typeof(FailingWorkflow), typeof(PausingWorkflow), typeof(SignaledWorkflow), typeof(ContinuingWorkflow), typeof(ParentWorkflow), typeof(UpdatedWorkflow), typeof(LoggingWorkflow), typeof(TracedActivities)];

    // Retries fast, so a test sees a second attempt within milliseconds.
    public override void ConfigureActivityDefaults(ActivityDefaultsOptions defaults)
    {
        defaults.StartToCloseTimeout = TimeSpan.FromSeconds(10);
        defaults.InitialInterval = TimeSpan.FromMilliseconds(50);
        defaults.MaximumAttempts = 3;
    }
}

/// <summary>Echoes, then calls an activity whose first attempt fails.</summary>
[Workflow]
public sealed class RetriedWorkflow : EstuaryWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string text)
    {
        var echoed = await ExecuteActivityAsync((TracedActivities a) => a.EchoAsync(text));
        return await ExecuteActivityAsync((TracedActivities a) => a.FailFirstAttemptAsync(echoed));
    }
}

/// <summary>Calls an activity that fails without retry, so the workflow fails.</summary>
[Workflow]
public sealed class FailingWorkflow : EstuaryWorkflow
{
    [WorkflowRun]
    public async Task RunAsync(string reason) => await ExecuteActivityAsync((TracedActivities a) => a.RefuseAsync(reason));
}

/// <summary>Echoes, sleeps on a durable timer (a worker can be replaced meanwhile), echoes again.</summary>
[Workflow]
public sealed class PausingWorkflow : EstuaryWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string text, TimeSpan pause)
    {
        var before = await ExecuteActivityAsync((TracedActivities a) => a.EchoAsync($"{text} before"));
        await Workflow.DelayAsync(pause);
        var after = await ExecuteActivityAsync((TracedActivities a) => a.EchoAsync($"{text} after"));
        return $"{before}, {after}";
    }
}

/// <summary>Waits for a signal, then echoes what it carried.</summary>
[Workflow]
public sealed class SignaledWorkflow : EstuaryWorkflow
{
    private string? _word;

    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        await Workflow.WaitConditionAsync(() => _word is not null);
        return await ExecuteActivityAsync((TracedActivities a) => a.EchoAsync(_word!));
    }

    [WorkflowSignal]
    public Task ProceedAsync(string word)
    {
        _word = word;
        return Task.CompletedTask;
    }
}

/// <summary>Echoes, then continues as a new run until no run is left.</summary>
[Workflow]
public sealed class ContinuingWorkflow : EstuaryWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(int runsLeft)
    {
        var echoed = await ExecuteActivityAsync((TracedActivities a) => a.EchoAsync($"run {runsLeft}"));
        return runsLeft == 0 ? echoed : throw Workflow.CreateContinueAsNewException((ContinuingWorkflow wf) => wf.RunAsync(runsLeft - 1));
    }
}

/// <summary>Runs <see cref="ContinuingWorkflow"/> as a child (one run) and echoes its result.</summary>
[Workflow]
public sealed class ParentWorkflow : EstuaryWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync(string childId)
    {
        var child = await Workflow.ExecuteChildWorkflowAsync((ContinuingWorkflow wf) => wf.RunAsync(0), new() { Id = childId });
        return await ExecuteActivityAsync((TracedActivities a) => a.EchoAsync($"child said {child}"));
    }
}

/// <summary>Collects items through a validated update until it has the number asked for, then echoes them; answers a query.</summary>
[Workflow]
public sealed class UpdatedWorkflow : EstuaryWorkflow
{
    private readonly List<string> _items = [];

    [WorkflowRun]
    public async Task<string> RunAsync(int expected)
    {
        await Workflow.WaitConditionAsync(() => _items.Count >= expected);
        return await ExecuteActivityAsync((TracedActivities a) => a.EchoAsync(string.Join(",", _items)));
    }

    [WorkflowQuery]
    public int Count => _items.Count;

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
}

/// <summary>Logs a line, waits for a signal whose handler logs a line, then echoes the word signalled.</summary>
[Workflow]
public sealed class LoggingWorkflow : EstuaryWorkflow
{
    private string? _word;

    [WorkflowRun]
    public async Task<string> RunAsync(string text)
    {
        Workflow.Logger.LogInformation("Waiting to say {Text}", text);
        await Workflow.WaitConditionAsync(() => _word is not null);
        return await ExecuteActivityAsync((TracedActivities a) => a.EchoAsync($"{text} {_word}"));
    }

    [WorkflowSignal]
    public Task ProceedAsync(string word)
    {
        Workflow.Logger.LogInformation("Told to say {Word}", word);
        _word = word;
        return Task.CompletedTask;
    }
}

[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Instance activities, resolved per execution like a domain's.")]
public sealed class TracedActivities
{
    [Activity("traced_echo")]
    public Task<string> EchoAsync(string text) => Task.FromResult(text);

    [Activity("traced_fail_first_attempt")]
    public Task<string> FailFirstAttemptAsync(string text)
    {
        var attempt = ActivityExecutionContext.Current.Info.Attempt;
        return attempt == 1
            ? throw new InvalidOperationException($"first attempt for '{text}' fails")
            : Task.FromResult($"{text} (attempt {attempt})");
    }

    [Activity("traced_refuse")]
    public Task RefuseAsync(string reason) =>
        throw new ApplicationFailureException($"refused: {reason}", errorType: "Refused", nonRetryable: true);
}
