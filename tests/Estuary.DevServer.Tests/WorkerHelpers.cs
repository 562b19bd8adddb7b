using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>Shared plumbing: a worker with every test workflow and activity, and history lookups.</summary>
internal static class WorkerHelpers
{
    public static TemporalWorkerOptions AllTestWork(string taskQueue) => new TemporalWorkerOptions(taskQueue)
        .AddAllActivities(new FlakyActivities())
        .AddWorkflow<ActivityWorkflow>()
        .AddWorkflow<FailingWorkflow>()
        .AddWorkflow<SleepWorkflow>()
        .AddWorkflow<WaitForSignalWorkflow>()
        .AddWorkflow<CountdownWorkflow>()
        .AddWorkflow<CommandsWorkflow>()
        .AddWorkflow<CancelActivityWorkflow>()
        .AddWorkflow<FlakyTaskWorkflow>();

    public static async Task<List<HistoryEvent>> HistoryAsync(this WorkflowHandle handle)
    {
        var events = new List<HistoryEvent>();
        await foreach (var evt in handle.FetchHistoryEventsAsync())
        {
            events.Add(evt);
        }
        return events;
    }

    /// <summary>
    /// The run's first pending activity once <paramref name="condition"/> holds. Heartbeats and retried attempts write
    /// no event, so there is nothing to wait on but Describe itself.
    /// </summary>
    public static async Task<PendingActivityInfo> PendingActivityWhenAsync(this WorkflowHandle handle, Func<PendingActivityInfo, bool> condition)
    {
        while (true)
        {
            var described = await handle.Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
            {
                Namespace = handle.Client.Options.Namespace,
                Execution = new() { WorkflowId = handle.Id },
            });
            if (described.PendingActivities.FirstOrDefault() is { } pending && condition(pending))
            {
                return pending;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken);
        }
    }

    public static async Task<List<EventType>> EventTypesAsync(this WorkflowHandle handle) =>
        (await handle.HistoryAsync()).Select(e => e.EventType).ToList();
}
