using Estuary.Temporal.Domains;
using Temporalio.Activities;
using Temporalio.Workflows;

namespace Estuary.Monitoring.Bench;

/// <summary>The measured domain: a workflow running a chain of trivial activities, so monitoring is what costs.</summary>
internal sealed class BenchDomain : EstuaryDomain
{
    public override string Name => "bench";

    public override string Description => "Monitoring overhead benchmark";

    public override IEnumerable<Type> Types => [typeof(ChainWorkflow), typeof(BenchActivities)];
}

[Workflow]
public sealed class ChainWorkflow
{
    private static readonly ActivityOptions Options = new() { StartToCloseTimeout = TimeSpan.FromSeconds(30) };

    [WorkflowRun]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Temporal run methods are instance methods.")]
    public async Task<int> RunAsync(int activities)
    {
        var total = 0;
        for (var i = 0; i < activities; i++)
        {
            total += await Workflow.ExecuteActivityAsync(() => BenchActivities.Step(i), Options);
        }

        return total;
    }
}

public sealed class BenchActivities
{
    [Activity("bench_step")]
    public static int Step(int value) => value + 1;
}
