using Estuary.Temporal.Domains;
using Temporalio.Activities;
using Temporalio.Workflows;

namespace Estuary.Tests.Commands;

/// <summary>A domain of this test assembly whose workflow takes one argument of every kind the CLI binds.</summary>
internal sealed class SampleDomain : EstuaryDomain
{
    public override string Name => "sample";

    public override string Description => "Argument binding fixtures";

    public override string DefaultTaskQueue => "sample-queue";

    public override IEnumerable<Type> Types => [typeof(SampleWorkflow), typeof(SampleActivities)];
}

public enum Priority
{
    Low,
    High,
}

public sealed record SampleInput(string Reference, IReadOnlyList<int> Items);

[Workflow]
public sealed class SampleWorkflow
{
    [WorkflowRun]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Temporal run methods are instance methods.")]
    public Task<string> RunAsync(int count, string name, DateTimeOffset when, Priority priority, SampleInput input, bool dryRun = false) =>
        Task.FromResult($"{count}:{name}:{when:O}:{priority}:{input.Reference}:{input.Items.Count}:{dryRun}");
}

public sealed class SampleActivities
{
    [Activity("sample_step")]
    public static string Step(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
