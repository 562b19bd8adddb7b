using System.Runtime.CompilerServices;
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
        WorkflowThreads.Note();
        for (var i = 0; i < activities; i++)
        {
            total += await Workflow.ExecuteActivityAsync(() => BenchActivities.Step(i), Options);
            WorkflowThreads.Note();
        }

        return total;
    }
}

public sealed class BenchActivities
{
    [Activity("bench_step")]
    public static int Step(int value) => value + 1;
}

/// <summary>
/// Counts the activations of <see cref="ChainWorkflow"/> (one per workflow task: each runs the code between two awaits)
/// and the distinct threads they ran on: one new thread per workflow task makes the two counts equal. Threads are held
/// weakly, so a thread that ended is not kept, and a new one is never mistaken for it.
/// </summary>
internal static class WorkflowThreads
{
    private static readonly ConditionalWeakTable<Thread, object> Seen = new();
    private static readonly object Marker = new();
    private static long _activations;
    private static long _threads;
    private static long _poolThreads;

    /// <summary>Gets the activations so far.</summary>
    public static long Activations => Interlocked.Read(ref _activations);

    /// <summary>Gets the distinct threads that ran them so far.</summary>
    public static long Threads => Interlocked.Read(ref _threads);

    /// <summary>Gets how many of those threads belonged to the thread pool.</summary>
    public static long PoolThreads => Interlocked.Read(ref _poolThreads);

    /// <summary>Records the activation running now.</summary>
    public static void Note()
    {
        Interlocked.Increment(ref _activations);
        var thread = Thread.CurrentThread;
        if (Seen.TryAdd(thread, Marker))
        {
            Interlocked.Increment(ref _threads);
            if (thread.IsThreadPoolThread)
            {
                Interlocked.Increment(ref _poolThreads);
            }
        }
    }
}
