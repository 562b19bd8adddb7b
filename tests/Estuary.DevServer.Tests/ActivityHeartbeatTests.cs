using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Client;
using Temporalio.Converters;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// An attempt that heartbeats and fails at once, retried: the failure and the heartbeat reach the server back to back
/// (or the heartbeat after the failure), and Describe must show the next attempt waiting with the attempt's last
/// failure and its latest heartbeat details. The retry backoff is an hour, so nothing runs again during a test.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class ActivityHeartbeatTests(ServerFixture fixture)
{
    private async Task<(PendingActivityInfo Pending, string Heartbeat)> FailedAttemptAsync(string activity)
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<OperatorWorkflow>()
            .AddActivity(HeartbeatActivities.HeartbeatThenFail)
            .AddActivity(HeartbeatActivities.HeartbeatTwiceThenFail));
        return await worker.ExecuteAsync(async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((OperatorWorkflow wf) => wf.RunAsync(activity), new(TestIds.New("wf"), taskQueue));
            var pending = await handle.PendingActivityWhenAsync(a => a.Attempt == 2);
            await handle.TerminateAsync("test over");
            return (pending, Decode(pending.HeartbeatDetails));
        });
    }

    private string Decode(Payloads details) =>
        fixture.Client.Options.DataConverter.PayloadConverter.ToValue<string>(Assert.Single(details.Payloads_));

    [Fact]
    public async Task RespondActivityTaskFailed_RightAfterHeartbeat_NextAttemptWaitsWithLastFailureAndHeartbeat()
    {
        var (pending, heartbeat) = await FailedAttemptAsync("HeartbeatThenFail");

        Assert.Equal(PendingActivityState.Scheduled, pending.State);
        Assert.Equal(2, pending.Attempt);
        Assert.Equal("The warehouse is closed", pending.LastFailure.Message);
        Assert.Equal("halfway", heartbeat);
        Assert.NotNull(pending.LastHeartbeatTime);
        Assert.Equal(pending.LastAttemptCompleteTime.ToDateTime() + TimeSpan.FromHours(1), pending.NextAttemptScheduleTime.ToDateTime());
    }

    [Fact]
    public async Task RespondActivityTaskFailed_ThrottledHeartbeatStillToSend_NextAttemptWaitsWithLatestHeartbeat()
    {
        var (pending, heartbeat) = await FailedAttemptAsync("HeartbeatTwiceThenFail");

        Assert.Equal(PendingActivityState.Scheduled, pending.State);
        Assert.Equal(2, pending.Attempt);
        Assert.Equal("The warehouse is closed", pending.LastFailure.Message);
        Assert.Equal("second", heartbeat);
    }
}
