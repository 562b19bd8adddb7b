using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class WorkflowFailureTests(ServerFixture fixture)
{
    private async Task<T> RunAsync<T>(Func<string, Task<T>> body, params Type[] workflows)
    {
        var taskQueue = TestIds.New("tq");
        var options = new TemporalWorkerOptions(taskQueue).AddAllActivities(new FlakyActivities());
        foreach (var workflow in workflows)
        {
            options.AddWorkflow(workflow);
        }
        using var worker = new TemporalWorker(fixture.Client, options);
        return await worker.ExecuteAsync(() => body(taskQueue));
    }

    [Fact]
    public async Task ExecuteWorkflow_WorkflowThrowsApplicationFailure_ClientGetsFailureWithTypeAndDetails()
    {
        var error = await RunAsync(async taskQueue => await Assert.ThrowsAsync<WorkflowFailedException>(() =>
            fixture.Client.ExecuteWorkflowAsync((FailingWorkflow wf) => wf.RunAsync("it broke"), new(TestIds.New("wf"), taskQueue))), typeof(FailingWorkflow));
        var cause = Assert.IsType<ApplicationFailureException>(error.InnerException);
        Assert.Equal("it broke", cause.Message);
        Assert.Equal("WorkflowBroke", cause.ErrorType);
        Assert.Equal("detail-1", cause.Details.ElementAt<string>(0));
    }

    [Fact]
    public async Task ExecuteActivity_FailsTwiceThenSucceeds_ServerRetriesWithAttemptCount()
    {
        var workflowId = TestIds.New("wf");
        var result = await RunAsync(taskQueue => fixture.Client.ExecuteWorkflowAsync(
            (ActivityWorkflow wf) => wf.RunAsync("FailTwice", 0, 10, 0), new(workflowId, taskQueue)), typeof(ActivityWorkflow));
        Assert.Equal("succeeded on attempt 3", result);
        var started = await FindEventAsync(workflowId, EventType.ActivityTaskStarted);
        Assert.Equal(3, started.ActivityTaskStartedEventAttributes.Attempt);
        Assert.Equal("attempt 2 failed", started.ActivityTaskStartedEventAttributes.LastFailure.Message);
    }

    [Fact]
    public async Task ExecuteActivity_NonRetryableApplicationFailure_FailsAfterOneAttempt()
    {
        var error = await RunAsync(async taskQueue => await Assert.ThrowsAsync<WorkflowFailedException>(() => fixture.Client.ExecuteWorkflowAsync(
            (ActivityWorkflow wf) => wf.RunAsync("FailNonRetryable", 0, 10, 0), new(TestIds.New("wf"), taskQueue))), typeof(ActivityWorkflow));
        var activity = Assert.IsType<ActivityFailureException>(error.InnerException);
        Assert.Equal(RetryState.NonRetryableFailure, activity.RetryState);
        var cause = Assert.IsType<ApplicationFailureException>(activity.InnerException);
        Assert.Equal("permanent problem", cause.Message);
    }

    [Fact]
    public async Task ExecuteActivity_ErrorTypeListedAsNonRetryable_FailsAfterOneAttempt()
    {
        var error = await RunAsync(async taskQueue => await Assert.ThrowsAsync<WorkflowFailedException>(() => fixture.Client.ExecuteWorkflowAsync(
            (ActivityWorkflow wf) => wf.RunAsync("FailWithType", 0, 10, 0), new(TestIds.New("wf"), taskQueue))), typeof(ActivityWorkflow));
        var activity = Assert.IsType<ActivityFailureException>(error.InnerException);
        Assert.Equal(RetryState.NonRetryableFailure, activity.RetryState);
        Assert.Equal("BadInput", Assert.IsType<ApplicationFailureException>(activity.InnerException).ErrorType);
    }

    [Fact]
    public async Task ExecuteActivity_MaximumAttemptsReached_FailsWithLastFailure()
    {
        var error = await RunAsync(async taskQueue => await Assert.ThrowsAsync<WorkflowFailedException>(() => fixture.Client.ExecuteWorkflowAsync(
            (ActivityWorkflow wf) => wf.RunAsync("AlwaysFail", 2, 10, 0), new(TestIds.New("wf"), taskQueue))), typeof(ActivityWorkflow));
        var activity = Assert.IsType<ActivityFailureException>(error.InnerException);
        Assert.Equal(RetryState.MaximumAttemptsReached, activity.RetryState);
        Assert.Equal("attempt 2 failed", activity.InnerException!.Message);
    }

    [Fact]
    public async Task ExecuteWorkflow_FirstWorkflowTaskThrows_TaskFailedAndRetried()
    {
        var workflowId = TestIds.New("wf");
        var result = await RunAsync(taskQueue => fixture.Client.ExecuteWorkflowAsync(
            (FlakyTaskWorkflow wf) => wf.RunAsync(), new(workflowId, taskQueue)), typeof(FlakyTaskWorkflow));
        Assert.Equal("recovered", result);
        var failed = await FindEventAsync(workflowId, EventType.WorkflowTaskFailed);
        Assert.Contains("workflow task bug", failed.WorkflowTaskFailedEventAttributes.Failure.Message, StringComparison.Ordinal);
    }

    private async Task<Temporalio.Api.History.V1.HistoryEvent> FindEventAsync(string workflowId, EventType type)
    {
        await foreach (var evt in fixture.Client.GetWorkflowHandle(workflowId).FetchHistoryEventsAsync())
        {
            if (evt.EventType == type)
            {
                return evt;
            }
        }
        throw new InvalidOperationException($"No {type} event in the history of {workflowId}.");
    }
}
