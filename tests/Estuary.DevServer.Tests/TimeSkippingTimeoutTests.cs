using Estuary.DevServer.Tests.Workflows;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

public sealed class TimeSkippingTimeoutTests(TimeSkippingFixture fixture) : IClassFixture<TimeSkippingFixture>
{
    [DevServerOnlyFact]
    public async Task ExecuteWorkflow_RunTimeoutShorterThanSleep_FailsWithTimeout()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<SleepWorkflow>());
        var error = await worker.ExecuteAsync(() => Assert.ThrowsAsync<WorkflowFailedException>(() => fixture.Client.ExecuteWorkflowAsync(
            (SleepWorkflow wf) => wf.RunAsync(TimeSpan.FromHours(2)), new(TestIds.New("wf"), taskQueue) { RunTimeout = TimeSpan.FromHours(1) })));
        Assert.IsType<TimeoutFailureException>(error.InnerException);
    }
}
