using System.Text.Json;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Encryption;
using Estuary.Temporal.Tracing;
using Estuary.Tests.Infrastructure;
using Temporalio.Api.Common.V1;
using Temporalio.Api.History.V1;
using Temporalio.Client;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;

namespace Estuary.Tests.Observability;

/// <summary>
/// What Temporal's server stores of the trace context when payloads are encrypted: the header every tracing interceptor
/// reads stays readable JSON, the payloads beside it stay ciphertext. Read from the raw history, without any codec.
/// </summary>
[Collection(UsesTemporal.Name)]
public sealed class TraceHeaderEncryptionTests(EndToEndFixture fixture)
{
    private readonly TelemetryCapture _capture = new();

    [Fact]
    public async Task StartWorkflow_TracingAndEncryptionOn_TraceHeadersOfStartScheduleAndChildAreClearJsonAndInputsCiphertext()
    {
        var taskQueue = $"trace-headers-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue);
        var (workflowId, childId) = ($"trace-headers-{Guid.NewGuid():N}", $"trace-headers-child-{Guid.NewGuid():N}");

        await (await ClientAsync()).ExecuteWorkflowAsync((ParentWorkflow wf) => wf.RunAsync(childId), new(workflowId, taskQueue));

        var parent = await fixture.RawHistoryAsync(workflowId);
        var child = await fixture.RawHistoryAsync(childId);
        var started = Attributes(parent, e => e.WorkflowExecutionStartedEventAttributes);
        var childStarted = Attributes(child, e => e.WorkflowExecutionStartedEventAttributes);
        var initiated = Attributes(parent, e => e.StartChildWorkflowExecutionInitiatedEventAttributes);
        var scheduled = Attributes(parent, e => e.ActivityTaskScheduledEventAttributes);
        foreach (var header in new[] { started.Header, initiated.Header, childStarted.Header, scheduled.Header })
        {
            AssertClearTraceContext(header);
        }

        Assert.All(new[] { started.Input, initiated.Input, childStarted.Input, scheduled.Input }.SelectMany(i => i.Payloads_), p => Assert.True(EncryptionPayloadCodec.IsEncrypted(p)));
        Assert.Equal(TraceParentOf(childStarted.Header), TraceParentOf(initiated.Header));
    }

    [Fact]
    public async Task SignalWorkflow_TracingAndEncryptionOn_SignalsTraceHeaderIsClearJsonAndItsArgumentCiphertext()
    {
        var taskQueue = $"trace-headers-signal-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue);
        var handle = await (await ClientAsync()).StartWorkflowAsync((SignaledWorkflow wf) => wf.RunAsync(), new($"trace-headers-signal-{Guid.NewGuid():N}", taskQueue));

        await handle.SignalAsync(wf => wf.ProceedAsync("go"));
        await handle.GetResultAsync();

        var signaled = Attributes(await fixture.RawHistoryAsync(handle.Id), e => e.WorkflowExecutionSignaledEventAttributes);
        AssertClearTraceContext(signaled.Header);
        Assert.True(EncryptionPayloadCodec.IsEncrypted(Assert.Single(signaled.Input.Payloads_)));
    }

    [Fact]
    public async Task ExecuteUpdate_TracingAndEncryptionOn_AcceptedUpdatesTraceHeaderIsClearJsonAndItsArgumentCiphertext()
    {
        var taskQueue = $"trace-headers-update-{Guid.NewGuid():N}";
        await using var host = await StartWorkerAsync(taskQueue);
        var handle = await (await ClientAsync()).StartWorkflowAsync((UpdatedWorkflow wf) => wf.RunAsync(1), new($"trace-headers-update-{Guid.NewGuid():N}", taskQueue));

        await handle.ExecuteUpdateAsync(wf => wf.AddAsync("done"));
        await handle.GetResultAsync();

        var accepted = Attributes(await fixture.RawHistoryAsync(handle.Id), e => e.WorkflowExecutionUpdateAcceptedEventAttributes);
        AssertClearTraceContext(accepted.AcceptedRequest.Input.Header);
        Assert.True(EncryptionPayloadCodec.IsEncrypted(Assert.Single(accepted.AcceptedRequest.Input.Args.Payloads_)));
    }

    // Readable by any SDK's tracing interceptor (json/plain, no codec needed) and holding the W3C trace context only.
    private static void AssertClearTraceContext(Header header)
    {
        var payload = header.Fields[TraceHeaders.Key];
        Assert.Equal("json/plain", payload.Metadata["encoding"].ToStringUtf8());
        using var json = JsonDocument.Parse(payload.Data.ToByteArray());
        Assert.Equal(["traceparent"], json.RootElement.EnumerateObject().Select(p => p.Name).Where(n => n != "tracestate"));
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", json.RootElement.GetProperty("traceparent").GetString());
    }

    private static string TraceParentOf(Header header)
    {
        using var json = JsonDocument.Parse(header.Fields[TraceHeaders.Key].Data.ToByteArray());
        return json.RootElement.GetProperty("traceparent").GetString()!;
    }

    private static T Attributes<T>(History history, Func<HistoryEvent, T?> attributes)
        where T : class =>
        Assert.Single(history.Events.Select(attributes).OfType<T>());

    private Task<TemporalClient> ClientAsync() =>
        TemporalClient.ConnectAsync(new TemporalConnectionOptions { Address = fixture.Address, Encryption = TestEncryption.Options }.ToConnectOptions(new DomainCatalog([new TracedDomain()])));

    // Spans (and so headers) exist only while something listens to Estuary's ActivitySource: the capture does.
    private async Task<WorkerProcess> StartWorkerAsync(string taskQueue) =>
        await WorkerProcess.StartAsync(
            WorkerHost.Build(fixture.Address, new Dictionary<string, string?> { ["Estuary:Worker:TaskQueue"] = taskQueue }, _capture.AddTo, new TracedDomain()),
            taskQueue);
}
