using Estuary.DevServer.Tests.Workflows;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// An operator's calls on a workflow's activities (PauseActivity, UnpauseActivity, ResetActivity, UpdateActivityOptions)
/// as Temporal defines them, seen by the activity (its heartbeat tells it), by the workflow's result and in Describe.
/// Activities retry after an hour, so anything that runs again sooner was made to by the operator.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class ActivityOperatorTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    private string Namespace => Client.Options.Namespace;

    private async Task<T> WithWorkerAsync<T>(OperatorActivities activities, Func<string, Task<T>> body)
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<OperatorWorkflow>().AddAllActivities(activities));
        return await worker.ExecuteAsync(() => body(taskQueue));
    }

    private Task<WorkflowHandle<OperatorWorkflow, string>> StartAsync(string activity, string taskQueue) =>
        Client.StartWorkflowAsync((OperatorWorkflow wf) => wf.RunAsync(activity), new(TestIds.New("wf"), taskQueue));

    [Fact]
    public async Task PauseActivity_RunningAttempt_HeartbeatReportsPauseAndRetryWaitsForUnpause()
    {
        var activities = new OperatorActivities();
        var (result, paused) = await WithWorkerAsync(activities, async taskQueue =>
        {
            var handle = await StartAsync("Heartbeat", taskQueue);
            await activities.Started.Task;
            await Client.WorkflowService.PauseActivityAsync(new()
            {
                Namespace = Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Id = "operated",
                Identity = "operator",
                Reason = "maintenance",
            });
            // The interrupted attempt ends; the next one waits for the operator, not for the hour.
            var paused = await handle.PendingActivityWhenAsync(a => a.Attempt == 2);
            await Client.WorkflowService.UnpauseActivityAsync(new()
            {
                Namespace = Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Id = "operated",
            });
            return (await handle.GetResultAsync(), paused);
        });

        Assert.True(activities.Interrupted?.IsPaused);
        Assert.Equal("attempt 2 run 2", result);
        Assert.True(paused.Paused);
        Assert.Equal(PendingActivityState.Paused, paused.State);
        Assert.Equal(("operator", "maintenance"), (paused.PauseInfo.Manual.Identity, paused.PauseInfo.Manual.Reason));
        Assert.Null(paused.NextAttemptScheduleTime);
    }

    [Fact]
    public async Task ResetActivity_WaitingForRetry_NextAttemptTimeShownThenRunsAtOnceFromAttemptOne()
    {
        var activities = new OperatorActivities();
        var (result, waiting) = await WithWorkerAsync(activities, async taskQueue =>
        {
            var handle = await StartAsync("FailFirst", taskQueue);
            var waiting = await handle.PendingActivityWhenAsync(a => a.Attempt == 2);
            await Client.WorkflowService.ResetActivityAsync(new()
            {
                Namespace = Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Type = "FailFirst",
            });
            return (await handle.GetResultAsync(), waiting);
        });

        Assert.Equal("attempt 1 run 2", result);
        Assert.Equal(PendingActivityState.Scheduled, waiting.State);
        Assert.Equal(TimeSpan.FromHours(1), waiting.CurrentRetryInterval.ToTimeSpan());
        Assert.Equal(waiting.LastAttemptCompleteTime.ToDateTime() + TimeSpan.FromHours(1), waiting.NextAttemptScheduleTime.ToDateTime());
        Assert.Equal("first run fails", waiting.LastFailure.Message);
    }

    [Fact]
    public async Task ResetActivity_RunningAttempt_HeartbeatReportsResetAndRetryStartsAtAttemptOne()
    {
        var activities = new OperatorActivities();
        var result = await WithWorkerAsync(activities, async taskQueue =>
        {
            var handle = await StartAsync("Heartbeat", taskQueue);
            await activities.Started.Task;
            await Client.WorkflowService.ResetActivityAsync(new()
            {
                Namespace = Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Id = "operated",
            });
            return await handle.GetResultAsync();
        });

        Assert.True(activities.Interrupted?.IsReset);
        Assert.Equal("attempt 1 run 2", result);
    }

    [Fact]
    public async Task UpdateActivityOptions_RunningAttempt_NewOptionsAnsweredAndDescribed()
    {
        var activities = new OperatorActivities();
        var (response, described) = await WithWorkerAsync(activities, async taskQueue =>
        {
            var handle = await StartAsync("Block", taskQueue);
            await activities.Started.Task;
            var response = await Client.WorkflowService.UpdateActivityOptionsAsync(new()
            {
                Namespace = Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Id = "operated",
                ActivityOptions = new()
                {
                    StartToCloseTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(10)),
                    RetryPolicy = new() { MaximumAttempts = 3 },
                },
                UpdateMask = new() { Paths = { "start_to_close_timeout", "retry_policy.maximum_attempts" } },
            });
            var described = (await handle.PendingActivityWhenAsync(_ => true)).ActivityOptions;
            activities.Release.TrySetResult();
            await handle.GetResultAsync();
            return (response.ActivityOptions, described);
        });

        Assert.Equal((TimeSpan.FromMinutes(10), 3), (response.StartToCloseTimeout.ToTimeSpan(), response.RetryPolicy.MaximumAttempts));
        // Fields outside the mask keep their values.
        Assert.Equal(TimeSpan.FromHours(1), response.RetryPolicy.InitialInterval.ToTimeSpan());
        Assert.Equal(TimeSpan.FromSeconds(2), response.HeartbeatTimeout.ToTimeSpan());
        Assert.Equal(response, described);
    }

    [Fact]
    public async Task UpdateActivityOptions_UnknownMaskPathOrActivity_RefusedAndNothingChanges()
    {
        var activities = new OperatorActivities();
        var (badPath, unknown, described) = await WithWorkerAsync(activities, async taskQueue =>
        {
            var handle = await StartAsync("Block", taskQueue);
            await activities.Started.Task;
            var badPath = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.UpdateActivityOptionsAsync(new()
            {
                Namespace = Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Id = "operated",
                ActivityOptions = new() { StartToCloseTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(10)) },
                UpdateMask = new() { Paths = { "start_to_close_timeout", "colour" } },
            }));
            var unknown = await Assert.ThrowsAsync<RpcException>(() => Client.WorkflowService.PauseActivityAsync(new()
            {
                Namespace = Namespace,
                Execution = new() { WorkflowId = handle.Id },
                Id = "no-such-activity",
            }));
            var described = await handle.PendingActivityWhenAsync(_ => true);
            activities.Release.TrySetResult();
            await handle.GetResultAsync();
            return (badPath, unknown, described);
        });

        Assert.Equal(RpcException.StatusCode.InvalidArgument, badPath.Code);
        Assert.Contains("colour", badPath.Message, StringComparison.Ordinal);
        Assert.Equal(RpcException.StatusCode.NotFound, unknown.Code);
        Assert.Equal(TimeSpan.FromMinutes(5), described.ActivityOptions.StartToCloseTimeout.ToTimeSpan());
        Assert.False(described.Paused);
    }

    [DevServerOnlyFact]
    public async Task PauseActivity_ServerRestarts_PauseAndChangedOptionsAreKept()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        var taskQueue = TestIds.New("tq");
        var activities = new OperatorActivities();
        using var worker = new TemporalWorker(client, new TemporalWorkerOptions(taskQueue).AddWorkflow<OperatorWorkflow>().AddAllActivities(activities));
        var (result, restored) = await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync((OperatorWorkflow wf) => wf.RunAsync("FailFirst"), new(TestIds.New("wf"), taskQueue));
            await handle.PendingActivityWhenAsync(a => a.Attempt == 2);
            var execution = new Temporalio.Api.Common.V1.WorkflowExecution { WorkflowId = handle.Id };
            await client.WorkflowService.PauseActivityAsync(new() { Namespace = "default", Execution = execution, Id = "operated", Reason = "restart" });
            await client.WorkflowService.UpdateActivityOptionsAsync(new()
            {
                Namespace = "default",
                Execution = execution,
                Id = "operated",
                ActivityOptions = new() { StartToCloseTimeout = Duration.FromTimeSpan(TimeSpan.FromMinutes(10)) },
                UpdateMask = new() { Paths = { "start_to_close_timeout" } },
            });

            await server.RestartAsync();

            var restored = await handle.PendingActivityWhenAsync(_ => true);
            await client.WorkflowService.UnpauseActivityAsync(new() { Namespace = "default", Execution = execution, Id = "operated" });
            return (await handle.GetResultAsync(), restored);
        });

        Assert.True(restored.Paused);
        Assert.Equal("restart", restored.PauseInfo.Manual.Reason);
        Assert.Equal(TimeSpan.FromMinutes(10), restored.ActivityOptions.StartToCloseTimeout.ToTimeSpan());
        Assert.Equal("attempt 2 run 2", result);
    }
}
