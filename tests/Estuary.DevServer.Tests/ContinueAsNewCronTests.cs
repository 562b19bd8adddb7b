using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.DevServer.Tests;

/// <summary>
/// A continue-as-new command carrying a cron schedule, sent by a bare-protocol worker (the .NET SDK's
/// <c>ContinueAsNewOptions</c> has no cron schedule), on a time-skipping server.
/// </summary>
public sealed class ContinueAsNewCronTests(TimeSkippingFixture fixture) : IClassFixture<TimeSkippingFixture>
{
    private TemporalClient Client => fixture.Client;

    private WorkflowService Service => Client.Connection.WorkflowService;

    private static PollWorkflowTaskQueueRequest Poll(string taskQueue) =>
        new() { Namespace = "default", TaskQueue = new() { Name = taskQueue }, Identity = "bare" };

    private static Command ContinueAsNew(string taskQueue, string cronSchedule) => new()
    {
        CommandType = CommandType.ContinueAsNewWorkflowExecution,
        ContinueAsNewWorkflowExecutionCommandAttributes = new()
        {
            WorkflowType = new() { Name = "BareWorkflow" },
            TaskQueue = new() { Name = taskQueue },
            CronSchedule = cronSchedule,
        },
    };

    private async Task<List<HistoryEvent>> HistoryAsync(string workflowId, string runId) =>
        (await Client.GetWorkflowHandle(workflowId, runId).FetchHistoryAsync()).Events.ToList();

    [DevServerOnlyFact]
    public async Task RespondWorkflowTaskCompleted_ContinueAsNewWithCronSchedule_NewRunStartsAtOnceAndRepeatsOnSchedule()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        await Client.StartWorkflowAsync("BareWorkflow", [], new(workflowId, taskQueue));

        var first = await Service.PollWorkflowTaskQueueAsync(Poll(taskQueue));
        await Service.RespondWorkflowTaskCompletedAsync(new()
        {
            Namespace = "default",
            TaskToken = first.TaskToken,
            Identity = "bare",
            Commands = { ContinueAsNew(taskQueue, "0 * * * *") },
        });

        // Temporal takes the schedule from the command but starts the new run without a cron backoff.
        var second = await Service.PollWorkflowTaskQueueAsync(Poll(taskQueue));
        var secondStarted = second.History.Events[0].WorkflowExecutionStartedEventAttributes;
        Assert.Equal("0 * * * *", secondStarted.CronSchedule);
        Assert.Equal(ContinueAsNewInitiator.Workflow, secondStarted.Initiator);
        Assert.Equal(first.WorkflowExecution.RunId, secondStarted.ContinuedExecutionRunId);
        Assert.True(secondStarted.FirstWorkflowTaskBackoff is null || secondStarted.FirstWorkflowTaskBackoff.ToTimeSpan() == TimeSpan.Zero);
        await Service.RespondWorkflowTaskCompletedAsync(new()
        {
            Namespace = "default",
            TaskToken = second.TaskToken,
            Identity = "bare",
            Commands = { new Command { CommandType = CommandType.CompleteWorkflowExecution, CompleteWorkflowExecutionCommandAttributes = new() } },
        });

        // Once that run closes it is a cron run like any other: the next one waits for the next full hour.
        var third = await Service.PollWorkflowTaskQueueAsync(Poll(taskQueue));
        var secondHistory = await HistoryAsync(workflowId, second.WorkflowExecution.RunId);
        Assert.Equal(third.WorkflowExecution.RunId, secondHistory[^1].WorkflowExecutionCompletedEventAttributes.NewExecutionRunId);
        var thirdStarted = third.History.Events[0].WorkflowExecutionStartedEventAttributes;
        Assert.Equal(("0 * * * *", ContinueAsNewInitiator.CronSchedule), (thirdStarted.CronSchedule, thirdStarted.Initiator));
        Assert.True(thirdStarted.FirstWorkflowTaskBackoff.ToTimeSpan() > TimeSpan.Zero);
        var thirdTask = third.History.Events.First(e => e.EventType == EventType.WorkflowTaskScheduled).EventTime.ToDateTime();
        Assert.Equal((0, 0), (thirdTask.Minute, thirdTask.Second));
        await Client.GetWorkflowHandle(workflowId).TerminateAsync("enough");
    }

    [Fact]
    public async Task RespondWorkflowTaskCompleted_ContinueAsNewWithInvalidCronSchedule_FailsTaskWithBadContinueAsNewAttributes()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        var handle = await Client.StartWorkflowAsync("BareWorkflow", [], new(workflowId, taskQueue));

        var task = await Service.PollWorkflowTaskQueueAsync(Poll(taskQueue));
        var error = await Assert.ThrowsAsync<RpcException>(() => Service.RespondWorkflowTaskCompletedAsync(new()
        {
            Namespace = "default",
            TaskToken = task.TaskToken,
            Identity = "bare",
            Commands = { ContinueAsNew(taskQueue, "61 * * * *") },
        }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        Assert.Contains("61", error.Message, StringComparison.Ordinal);

        var history = await HistoryAsync(workflowId, handle.ResultRunId!);
        var failed = history[^1].WorkflowTaskFailedEventAttributes;
        Assert.Equal(WorkflowTaskFailedCause.BadContinueAsNewAttributes, failed.Cause);
        Assert.Equal(error.Message, failed.Failure.Message);
        Assert.DoesNotContain(history, e => e.EventType == EventType.WorkflowExecutionContinuedAsNew);
        await handle.TerminateAsync("enough");
    }
}
