using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Client;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>Cron workflows on a time-skipping server: the clock jumps to each scheduled time.</summary>
public sealed class CronTests(TimeSkippingFixture fixture) : IClassFixture<TimeSkippingFixture>
{
    private TemporalClient Client => fixture.Client;

    private TemporalWorker NewWorker(string taskQueue) => new(Client, new TemporalWorkerOptions(taskQueue)
        .AddWorkflow<CronCounterWorkflow>()
        .AddWorkflow<CronFailureWorkflow>()
        .AddWorkflow<CronParentWorkflow>());

    /// <summary>The run ids of a cron chain, oldest first, once <paramref name="closed"/> runs closed: each found in the
    /// close event of the run before it, so the wait follows the chain's histories.</summary>
    private async Task<List<string>> RunIdsOnceClosedAsync(WorkflowHandle handle, int closed)
    {
        var runIds = new List<string> { handle.ResultRunId! };
        while (runIds.Count <= closed)
        {
            var history = await Client.GetWorkflowHandle(handle.Id, runIds[^1]).WaitForHistoryAsync(
                h => h.Count > 0 && NextRunId(h[^1]) is not null, $"run {runIds.Count} of {handle.Id} handing on to the next");
            runIds.Add(NextRunId(history[^1])!);
        }
        return runIds;
    }

    /// <summary>The run ids once <paramref name="closed"/> runs closed, then the chain terminated, even when the wait
    /// failed: a chain left open would stop this class's clock for the next test (its next run's task would wait for a
    /// worker that is gone, and time never skips while a task waits).</summary>
    private async Task<List<string>> EndChainOnceClosedAsync(WorkflowHandle handle, int closed)
    {
        try
        {
            return await RunIdsOnceClosedAsync(handle, closed);
        }
        finally
        {
            await Client.GetWorkflowHandle(handle.Id).TerminateAsync("enough");
        }
    }

    private static string? NextRunId(HistoryEvent close) => close.EventType switch
    {
        EventType.WorkflowExecutionCompleted => close.WorkflowExecutionCompletedEventAttributes.NewExecutionRunId,
        EventType.WorkflowExecutionFailed => close.WorkflowExecutionFailedEventAttributes.NewExecutionRunId,
        _ => null,
    } is { Length: > 0 } runId ? runId : null;

    private async Task<List<HistoryEvent>> HistoryAsync(string workflowId, string runId) =>
        (await Client.GetWorkflowHandle(workflowId, runId).FetchHistoryAsync()).Events.ToList();

    private static DateTime FirstTaskTime(List<HistoryEvent> history) =>
        history.First(e => e.EventType == EventType.WorkflowTaskScheduled).EventTime.ToDateTime();

    private static T Decode<T>(Temporalio.Api.Common.V1.Payloads payloads) =>
        DataConverter.Default.PayloadConverter.ToValue<T>(payloads.Payloads_.Single());

    [DevServerOnlyFact]
    public async Task StartWorkflow_HourlyCron_RunsChainAtFullHoursHandingOnLastResult()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("cron");
        using var worker = NewWorker(taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((CronCounterWorkflow wf) => wf.RunAsync(3),
                new(workflowId, taskQueue) { CronSchedule = "0 * * * *" });
            var runs = await EndChainOnceClosedAsync(handle, 2);

            // The client follows the chain as for Temporal's cron: the result is the last run's, here a termination.
            await Assert.ThrowsAsync<WorkflowFailedException>(() => handle.GetResultAsync());

            var first = await HistoryAsync(workflowId, runs[0]);
            var firstStarted = first[0].WorkflowExecutionStartedEventAttributes;
            Assert.Equal("0 * * * *", firstStarted.CronSchedule);
            Assert.True(firstStarted.FirstWorkflowTaskBackoff.ToTimeSpan() > TimeSpan.Zero);
            Assert.Equal(1, Decode<int>(first[^1].WorkflowExecutionCompletedEventAttributes.Result));

            var second = await HistoryAsync(workflowId, runs[1]);
            var secondStarted = second[0].WorkflowExecutionStartedEventAttributes;
            Assert.Equal(ContinueAsNewInitiator.CronSchedule, secondStarted.Initiator);
            Assert.Equal(runs[0], secondStarted.ContinuedExecutionRunId);
            Assert.Equal(runs[0], secondStarted.FirstExecutionRunId);
            Assert.Equal("0 * * * *", secondStarted.CronSchedule);
            Assert.Equal(1, Decode<int>(secondStarted.LastCompletionResult));
            Assert.Equal(2, Decode<int>(second[^1].WorkflowExecutionCompletedEventAttributes.Result));

            foreach (var history in new[] { first, second })
            {
                var scheduled = FirstTaskTime(history);
                Assert.True(scheduled is { Minute: 0, Second: 0 }, $"first workflow task at {scheduled:O}, not at a full hour");
            }
            Assert.Equal(60, Math.Round((FirstTaskTime(second) - FirstTaskTime(first)).TotalMinutes));

            // Termination ends the chain: nothing follows the third run, and visibility lists the same three runs.
            var third = await HistoryAsync(workflowId, runs[2]);
            Assert.Equal(EventType.WorkflowExecutionTerminated, third[^1].EventType);
            var listed = new List<string>();
            await foreach (var run in Client.ListWorkflowsAsync($"WorkflowId = '{workflowId}' ORDER BY StartTime ASC"))
            {
                listed.Add(run.RunId);
            }
            Assert.Equal(runs, listed);
        });
    }

    [DevServerOnlyFact]
    public async Task StartWorkflow_CronRunFails_NextRunGetsLastFailure()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("cron");
        using var worker = NewWorker(taskQueue);
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((CronFailureWorkflow wf) => wf.RunAsync(), new(workflowId, taskQueue) { CronSchedule = "15 */2 * * *" });
            var runs = await EndChainOnceClosedAsync(handle, 2);

            var first = await HistoryAsync(workflowId, runs[0]);
            Assert.Equal(EventType.WorkflowExecutionFailed, first[^1].EventType);
            var second = await HistoryAsync(workflowId, runs[1]);
            Assert.Equal(runs[0], second[0].WorkflowExecutionStartedEventAttributes.ContinuedExecutionRunId);
            Assert.Equal("first run fails", second[0].WorkflowExecutionStartedEventAttributes.ContinuedFailure.Message);
            Assert.Equal("saw: first run fails", Decode<string>(second[^1].WorkflowExecutionCompletedEventAttributes.Result));
        });
    }

    [DevServerOnlyFact]
    public async Task StartWorkflow_CronWithExecutionTimeout_ChainEndsBeforeTheTimeout()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = NewWorker(taskQueue);
        var result = await worker.ExecuteAsync(() => Client.ExecuteWorkflowAsync((CronCounterWorkflow wf) => wf.RunAsync(int.MaxValue),
            new(TestIds.New("cron"), taskQueue) { CronSchedule = "@hourly", ExecutionTimeout = TimeSpan.FromMinutes(210) }));

        // Runs at the first full hour and the three after it; the next one would start after the timeout.
        Assert.Equal(4, result);
    }

    [DevServerOnlyFact]
    public async Task StartChildWorkflow_CronChild_ParentGetsTheLastRunsResult()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = NewWorker(taskQueue);
        var result = await worker.ExecuteAsync(() => Client.ExecuteWorkflowAsync((CronParentWorkflow wf) => wf.RunAsync(TimeSpan.FromMinutes(150)),
            new(TestIds.New("parent"), taskQueue)));

        // The child's runs at the first full hour and the two after it; the parent only sees the chain's end.
        Assert.Equal(3, result);
    }

    [Fact]
    public async Task SignalWorkflow_CronRunWaitingForItsTime_IsRecordedWithoutStartingTheRun()
    {
        // On a server without time skipping the first run waits for 1 January.
        await using var server = await TemporalDevServer.StartAsync(new DevServerOptions());
        var client = await TemporalClient.ConnectAsync(new(server.Address));
        var handle = await client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1),
            new(TestIds.New("cron"), TestIds.New("tq")) { CronSchedule = "0 0 1 1 *" });
        await handle.SignalAsync(wf => wf.AddAsync("early"));

        var events = await handle.EventTypesAsync();
        Assert.Equal([EventType.WorkflowExecutionStarted, EventType.WorkflowExecutionSignaled], events);
        var description = await handle.DescribeAsync();
        Assert.Equal(WorkflowExecutionStatus.Running, description.Status);
        await handle.TerminateAsync();
    }

    [Theory]
    [InlineData("61 * * * *", "minute")]
    [InlineData("* * * *", "5 fields")]
    [InlineData("0 0 * JANUARY *", "month")]
    [InlineData("@every 0s", "@every")]
    [InlineData("@fortnightly", "@fortnightly")]
    public async Task StartWorkflow_InvalidCronSchedule_FailsWithInvalidArgument(string schedule, string named)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.StartWorkflowAsync((CronCounterWorkflow wf) => wf.RunAsync(1),
            new(TestIds.New("cron"), TestIds.New("tq")) { CronSchedule = schedule }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
