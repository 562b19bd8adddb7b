using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class WorkflowExecutionTests(ServerFixture fixture)
{
    [Fact]
    public async Task ExecuteWorkflow_OneActivity_ReturnsActivityResult()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue)
            .AddAllActivities(new GreetingActivities())
            .AddWorkflow<GreetingWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync("Estuary"), new(TestIds.New("wf"), taskQueue));
            Assert.Equal("Hello, Estuary!", await handle.GetResultAsync());
            var events = new List<EventType>();
            await foreach (var evt in handle.FetchHistoryEventsAsync())
            {
                events.Add(evt.EventType);
            }
            Assert.Equal(
                [
                    EventType.WorkflowExecutionStarted, EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted,
                    EventType.ActivityTaskScheduled, EventType.ActivityTaskStarted, EventType.ActivityTaskCompleted,
                    EventType.WorkflowTaskScheduled, EventType.WorkflowTaskStarted, EventType.WorkflowTaskCompleted, EventType.WorkflowExecutionCompleted,
                ],
                events);
        });
    }
}
