using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Converters;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// User metadata (static summary and details) as Temporal keeps it: a workflow's own from its start request in its
/// started event and in Describe; an activity's, a timer's and a child's from the command on the event it writes, the
/// child's also as the child's own.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class UserMetadataTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task StartWorkflow_StaticSummaryAndDetails_DescribeAndStartedEventCarryThem()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<SummarizedWorkflow>().AddAllActivities(new EchoActivities()));
        var handle = await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((SummarizedWorkflow wf) => wf.RunAsync(false),
                new(TestIds.New("wf"), taskQueue) { StaticSummary = "nightly payout", StaticDetails = "**all** accounts" });
            await handle.GetResultAsync();
            return handle;
        });

        var described = await handle.DescribeAsync();
        Assert.Equal("nightly payout", await described.GetStaticSummaryAsync());
        Assert.Equal("**all** accounts", await described.GetStaticDetailsAsync());
        var started = (await handle.HistoryAsync())[0];
        Assert.Equal("nightly payout", Decode(started.UserMetadata.Summary));
        Assert.Equal("**all** accounts", Decode(started.UserMetadata.Details));
    }

    [Fact]
    public async Task ExecuteWorkflow_ActivityTimerAndChildSummaries_EventsAndChildCarryThem()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<SummarizedWorkflow>().AddAllActivities(new EchoActivities()));
        var handle = await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((SummarizedWorkflow wf) => wf.RunAsync(false), new(TestIds.New("wf"), taskQueue));
            Assert.Equal("child", await handle.GetResultAsync());
            return handle;
        });

        var history = await handle.HistoryAsync();
        Assert.Null(history[0].UserMetadata);
        Assert.Null(await (await handle.DescribeAsync()).GetStaticSummaryAsync());
        Assert.Equal("echo once", Decode(history.Single(e => e.EventType == EventType.ActivityTaskScheduled).UserMetadata.Summary));
        Assert.Equal("short nap", Decode(history.Single(e => e.EventType == EventType.TimerStarted).UserMetadata.Summary));
        var initiated = history.Single(e => e.EventType == EventType.StartChildWorkflowExecutionInitiated);
        Assert.Equal(("child summary", "child details"), (Decode(initiated.UserMetadata.Summary), Decode(initiated.UserMetadata.Details)));
        // Events that no command's metadata belongs to carry none.
        Assert.All(history.Where(e => e.EventType is EventType.ActivityTaskCompleted or EventType.TimerFired or EventType.WorkflowTaskCompleted),
            e => Assert.Null(e.UserMetadata));

        var child = Client.GetWorkflowHandle($"{handle.Id}-child");
        var childDescribed = await child.DescribeAsync();
        Assert.Equal(("child summary", "child details"), (await childDescribed.GetStaticSummaryAsync(), await childDescribed.GetStaticDetailsAsync()));
        Assert.Equal("child summary", Decode((await child.HistoryAsync())[0].UserMetadata.Summary));
    }

    private static string Decode(Temporalio.Api.Common.V1.Payload payload) => DataConverter.Default.PayloadConverter.ToValue<string>(payload);
}
