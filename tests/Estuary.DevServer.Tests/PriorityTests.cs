using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// Priorities as Temporal carries them: a workflow's priority (key, fairness key and weight) is on its started event and
/// in Describe; its activities and children take each field their own command leaves unset from it.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class PriorityTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    [Fact]
    public async Task StartWorkflow_WithPriority_ActivitiesAndChildrenInheritTheFieldsTheyLeaveUnset()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<PriorityWorkflow>().AddAllActivities(new PriorityActivities()));
        var (handle, seen) = await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((PriorityWorkflow wf) => wf.RunAsync(false),
                new(TestIds.New("wf"), taskQueue) { Priority = new(priorityKey: 5, fairnessKey: "tenant-a", fairnessWeight: 2.5f) });
            return (handle, await handle.GetResultAsync());
        });

        var own = new SeenPriority(5, "tenant-a", 2.5f);
        Assert.Equal(
            [own, own with { PriorityKey = 3 }, own, own with { FairnessKey = "tenant-b" }, own],
            seen);

        var described = (await Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
        {
            Namespace = Client.Options.Namespace,
            Execution = new() { WorkflowId = handle.Id },
        })).WorkflowExecutionInfo.Priority;
        Assert.Equal((5, "tenant-a", 2.5f), (described.PriorityKey, described.FairnessKey, described.FairnessWeight));
        var history = await handle.HistoryAsync();
        Assert.Equal(5, history[0].WorkflowExecutionStartedEventAttributes.Priority.PriorityKey);
        // The events keep each command's own priority, as the worker sent it.
        var scheduled = history.Where(e => e.EventType == EventType.ActivityTaskScheduled).Select(e => e.ActivityTaskScheduledEventAttributes.Priority?.PriorityKey ?? 0);
        Assert.Equal([3, 0], scheduled);
        var initiated = history.Where(e => e.EventType == EventType.StartChildWorkflowExecutionInitiated)
            .Select(e => e.StartChildWorkflowExecutionInitiatedEventAttributes.Priority?.FairnessKey ?? "");
        Assert.Equal(["tenant-b", ""], initiated);
        var child = await Client.GetWorkflowHandle($"{handle.Id}-own").HistoryAsync();
        var childPriority = child[0].WorkflowExecutionStartedEventAttributes.Priority;
        Assert.Equal((5, "tenant-b", 2.5f), (childPriority.PriorityKey, childPriority.FairnessKey, childPriority.FairnessWeight));
    }

    [Fact]
    public async Task StartWorkflow_WithoutPriority_NoneIsReported()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<PriorityWorkflow>().AddAllActivities(new PriorityActivities()));
        var seen = await worker.ExecuteAsync(async () =>
            await Client.ExecuteWorkflowAsync((PriorityWorkflow wf) => wf.RunAsync(true), new(TestIds.New("wf"), taskQueue)));

        Assert.Equal([SeenPriority.Of(Priority.Default)], seen);
    }
}
