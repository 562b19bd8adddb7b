using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class QueryTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    private async Task<T> WithCounterAsync<T>(int target, Func<WorkflowHandle<CounterWorkflow, int>, Task<T>> body)
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<CounterWorkflow>());
        return await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((CounterWorkflow wf) => wf.RunAsync(target), new(TestIds.New("wf"), taskQueue));
            return await body(handle);
        });
    }

    [Fact]
    public async Task Query_RunningWorkflowAfterSignals_SeesEverySignal()
    {
        var counts = await WithCounterAsync(100, async handle =>
        {
            var before = await handle.QueryAsync(wf => wf.Count);
            await handle.SignalAsync(wf => wf.AddAsync(3));
            await handle.SignalAsync(wf => wf.AddAsync(4));
            var after = await handle.QueryAsync(wf => wf.Count);
            await handle.TerminateAsync("test done");
            return (before, after);
        });
        Assert.Equal((0, 7), counts);
    }

    [Fact]
    public async Task Query_FiftyAtOnceFromStart_EveryOneAnswered()
    {
        var counts = await WithCounterAsync(100, async handle =>
        {
            // Sent before the first workflow task completes and while other query tasks are with the worker.
            var counts = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => handle.QueryAsync(wf => wf.Count)));
            await handle.TerminateAsync("test done");
            return counts;
        });
        Assert.Equal(50, counts.Length);
        Assert.All(counts, count => Assert.Equal(0, count));
    }

    [Fact]
    public async Task Query_CompletedWorkflow_AnsweredFromReplayedHistory()
    {
        var (result, count) = await WithCounterAsync(5, async handle =>
        {
            await handle.SignalAsync(wf => wf.AddAsync(5));
            var result = await handle.GetResultAsync();
            return (result, await handle.QueryAsync(wf => wf.Count));
        });
        Assert.Equal(5, result);
        Assert.Equal(5, count);
    }

    [Fact]
    public async Task Query_UnknownQueryType_ThrowsWorkflowQueryFailed()
    {
        var error = await WithCounterAsync(100, async handle =>
        {
            var error = await Assert.ThrowsAsync<WorkflowQueryFailedException>(() => handle.QueryAsync<int>("NoSuchQuery", []));
            await handle.TerminateAsync("test done");
            return error;
        });
        Assert.Contains("NoSuchQuery", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_HandlerThrows_ThrowsWorkflowQueryFailedWithMessage()
    {
        var error = await WithCounterAsync(100, async handle =>
        {
            var error = await Assert.ThrowsAsync<WorkflowQueryFailedException>(() => handle.QueryAsync(wf => wf.Broken()));
            await handle.TerminateAsync("test done");
            return error;
        });
        Assert.Contains("the query broke", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_RejectNotOpenOnClosedWorkflow_ThrowsWorkflowQueryRejectedWithStatus()
    {
        var error = await WithCounterAsync(100, async handle =>
        {
            await handle.TerminateAsync("closed before the query");
            return await Assert.ThrowsAsync<WorkflowQueryRejectedException>(() =>
                handle.QueryAsync(wf => wf.Count, new WorkflowQueryOptions { RejectCondition = QueryRejectCondition.NotOpen }));
        });
        Assert.Equal(WorkflowExecutionStatus.Terminated, error.WorkflowStatus);
    }

    [Fact]
    public async Task Query_RejectNotCompletedCleanlyOnCompletedWorkflow_IsAnswered()
    {
        var count = await WithCounterAsync(2, async handle =>
        {
            await handle.SignalAsync(wf => wf.AddAsync(2));
            await handle.GetResultAsync();
            return await handle.QueryAsync(wf => wf.Count, new WorkflowQueryOptions { RejectCondition = QueryRejectCondition.NotCompletedCleanly });
        });
        Assert.Equal(2, count);
    }

    [DevServerOnlyFact]
    public async Task Query_WorkerDropsTheQueryTask_OfferedAgainAndTheLaterAnswerReachesTheCaller()
    {
        var taskQueue = TestIds.New("tq");
        var handle = await Client.StartWorkflowAsync((CounterWorkflow wf) => wf.RunAsync(100), new(TestIds.New("wf"), taskQueue));
        var service = Client.Connection.WorkflowService;
        var poll = new PollWorkflowTaskQueueRequest { Namespace = "default", TaskQueue = new() { Name = taskQueue }, Identity = "bare" };
        var first = await service.PollWorkflowTaskQueueAsync(poll);
        await service.RespondWorkflowTaskCompletedAsync(new() { Namespace = "default", TaskToken = first.TaskToken, Identity = "bare" });

        var query = handle.QueryAsync(wf => wf.Count);
        var dropped = await service.PollWorkflowTaskQueueAsync(poll);
        var offeredAgain = await service.PollWorkflowTaskQueueAsync(poll);
        await service.RespondQueryTaskCompletedAsync(new()
        {
            Namespace = "default",
            TaskToken = offeredAgain.TaskToken,
            CompletedType = QueryResultType.Answered,
            QueryResult = new() { Payloads_ = { Temporalio.Converters.DataConverter.Default.PayloadConverter.ToPayload(42) } },
        });

        Assert.Equal("Count", dropped.Query.QueryType);
        Assert.Equal((dropped.TaskToken, dropped.Query), (offeredAgain.TaskToken, offeredAgain.Query));
        Assert.Equal(42, await query);
        await handle.TerminateAsync("test done");
    }
}
