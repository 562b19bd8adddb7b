using Estuary.Cli.Commands;
using Estuary.Temporal.Domains;
using Estuary.Tests.Infrastructure;
using Temporalio.Worker;
using Temporalio.Workflows;

namespace Estuary.Tests.Commands;

/// <summary><c>trigger --wait</c> on a workflow answering the <c>Progress</c> query prints each new answer while it waits.</summary>
[Collection(UsesTemporal.Name)]
public sealed class TriggerProgressTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Trigger_WaitOnWorkflowAnsweringProgress_PrintsEachNewAnswerInOrderThenTheResult()
    {
        var taskQueue = $"progress-{Guid.NewGuid():N}";
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<SteppedWorkflow>());

        var (exitCode, output, error) = await worker.ExecuteAsync(() => CommandLineRunner.RunAsync(
            [new ProgressDomain()], ["trigger", "progress", "stepped", "3", "--task-queue", taskQueue, "--wait", "--progress", "0.1", "--address", fixture.Address]));

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var progress = lines.Where(l => l.StartsWith("Progress: ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(progress);
        Assert.Equal(progress.Distinct(), progress);
        Assert.Equal(progress.Order(StringComparer.Ordinal), progress);
        Assert.All(progress, line => Assert.Matches("""^Progress: \{"Done":[0-3],"Total":3\}$""", line));
        Assert.True(Array.IndexOf(lines, progress[^1]) < Array.IndexOf(lines, "SteppedWorkflow completed with result:"), output);
    }

    [Fact]
    public async Task Trigger_JsonOutput_PrintsNoProgressLines()
    {
        var taskQueue = $"progress-{Guid.NewGuid():N}";
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<SteppedWorkflow>());

        var (exitCode, output, error) = await worker.ExecuteAsync(() => CommandLineRunner.RunAsync(
            [new ProgressDomain()], ["trigger", "progress", "stepped", "2", "--task-queue", taskQueue, "--wait", "--json", "--progress", "0.1", "--address", fixture.Address]));

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.DoesNotContain("Progress", output, StringComparison.Ordinal);
        Assert.StartsWith("{", output.TrimStart(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("soon")]
    public async Task Trigger_InvalidProgressInterval_FailsAsUsageWithoutStarting(string interval)
    {
        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            [new ProgressDomain()], ["trigger", "progress", "stepped", "2", "--wait", "--progress", interval, "--address", "127.0.0.1:1"]);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Contains("--progress", error, StringComparison.Ordinal);
    }

    private sealed class ProgressDomain : EstuaryDomain
    {
        public override string Name => "progress";

        public override string Description => "A workflow that reports its progress";

        public override IEnumerable<Type> Types => [typeof(SteppedWorkflow)];
    }
}

/// <summary>Takes one step a second and reports how many it has done.</summary>
[Workflow]
public sealed class SteppedWorkflow
{
    private int _done;
    private int _total;

    [WorkflowQuery("Progress")]
    public StepProgress Progress => new(_done, _total);

    [WorkflowRun]
    public async Task<int> RunAsync(int steps)
    {
        _total = steps;
        for (; _done < steps; _done++)
        {
            await Workflow.DelayAsync(TimeSpan.FromSeconds(1));
        }

        return _done;
    }
}

/// <summary>The answer of <see cref="SteppedWorkflow.Progress"/>.</summary>
/// <param name="Done">Steps done.</param>
/// <param name="Total">Steps to do.</param>
public sealed record StepProgress(int Done, int Total);
