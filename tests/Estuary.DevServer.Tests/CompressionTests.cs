using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>The SDK gzips every request by default (every other test runs that way); a client can turn it off, as
/// Estuary's workers do on a loopback address.</summary>
[Collection(ServerGroup.Name)]
public sealed class CompressionTests(ServerFixture fixture)
{
    [Fact]
    public async Task ConnectAsync_GrpcCompressionNone_WorkflowWithRetriedActivityRunsToItsResult()
    {
        var client = await TemporalClient.ConnectAsync(
            new TemporalClientConnectOptions(fixture.Address) { Namespace = "default", GrpcCompression = new GrpcCompression.None() });
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(client, WorkerHelpers.AllTestWork(taskQueue));

        var handle = await worker.ExecuteAsync(async () =>
        {
            var started = await client.StartWorkflowAsync(
                (ActivityWorkflow wf) => wf.RunAsync("FailTwice", 0, 30, 0), new(TestIds.New("wf"), taskQueue));
            Assert.Equal("succeeded on attempt 3", await started.GetResultAsync());
            return started;
        });

        Assert.Equal(EventType.WorkflowExecutionCompleted, (await handle.EventTypesAsync())[^1]);
    }
}
