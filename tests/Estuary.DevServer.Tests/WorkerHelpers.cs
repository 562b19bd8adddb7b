using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
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

    public static async Task<List<EventType>> EventTypesAsync(this WorkflowHandle handle) =>
        (await handle.HistoryAsync()).Select(e => e.EventType).ToList();
}
