using System.Text;
using Estuary.DevServer.Ui.Temporal;
using Estuary.Temporal.Encryption;
using Estuary.Tests.Infrastructure;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.History.V1;
using Temporalio.Client;
using Temporalio.Converters;
using Temporalio.Worker;

namespace Estuary.Tests.Encryption;

/// <summary>Payload encryption through the embedded server, with workers built as a domain's are.</summary>
[Collection(UsesTemporal.Name)]
public sealed class EncryptionEndToEndTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task RunAsync_EncryptionOn_RawHistoryHoldsOnlyCiphertextAndTheClientReadsTheResult()
    {
        var taskQueue = $"customers-{Guid.NewGuid():N}";
        await using var worker = await StartWorkerAsync(taskQueue);
        var customer = NewCustomer();
        var note = $"note-{Guid.NewGuid():N}";

        var handle = await fixture.Client.StartWorkflowAsync(
            (WelcomeWorkflow wf) => wf.RunAsync(customer),
            new($"welcome-{Guid.NewGuid():N}", taskQueue) { Memo = new Dictionary<string, object> { ["customer"] = customer.Email } });
        await handle.SignalAsync(wf => wf.ConfirmAsync(note));
        var result = await handle.GetResultAsync();
        var history = await fixture.RawHistoryAsync(handle.Id);

        Assert.Equal($"Dear {customer.Name} <{customer.Email}>, payment {customer.PaymentReference} received; {note}", result);
        var bytes = history.ToByteArray();
        foreach (var secret in new[] { customer.Name, customer.Email, customer.PaymentReference, note })
        {
            Assert.False(Contains(bytes, secret), $"the raw history holds '{secret}' in clear");
        }

        // Workflow input, memo, activity input and result, signal, workflow result: every payload of the run is ciphertext.
        var payloads = MessagePayloads.Of(history).ToList();
        Assert.True(payloads.Count >= 6, $"expected at least 6 payloads, found {payloads.Count}");
        Assert.All(payloads, p => Assert.Equal(TestEncryption.KeyId, KeyIdOf(p)));
    }

    [Fact]
    public async Task ReplayWorkflowAsync_HistoryRecordedWithEncryption_ReplaysWithTheKeyOnly()
    {
        var taskQueue = $"customers-{Guid.NewGuid():N}";
        await using var worker = await StartWorkerAsync(taskQueue);
        var handle = await fixture.Client.StartWorkflowAsync((WelcomeWorkflow wf) => wf.RunAsync(NewCustomer()), new($"welcome-{Guid.NewGuid():N}", taskQueue));
        await handle.SignalAsync(wf => wf.ConfirmAsync("replayed"));
        await handle.GetResultAsync();
        var history = await handle.FetchHistoryAsync();

        var withKey = await new WorkflowReplayer(new WorkflowReplayerOptions { DataConverter = TestEncryption.DataConverter }.AddWorkflow<WelcomeWorkflow>())
            .ReplayWorkflowAsync(history, throwOnReplayFailure: false);
        var withoutKey = await new WorkflowReplayer(new WorkflowReplayerOptions().AddWorkflow<WelcomeWorkflow>())
            .ReplayWorkflowAsync(history, throwOnReplayFailure: false);

        Assert.Null(withKey.ReplayFailure);
        Assert.NotNull(withoutKey.ReplayFailure);
    }

    [Fact]
    public async Task RunAsync_StartedUnderOldKeyFinishedUnderNew_CompletesWithBothKeysInTheHistory()
    {
        var taskQueue = $"customers-{Guid.NewGuid():N}";
        var (oldKey, newKey) = (PayloadKeyRing.NewKey(), PayloadKeyRing.NewKey());
        var customer = NewCustomer();
        WorkflowHandle<WelcomeWorkflow> handle;
        await using (var before = await StartWorkerAsync(taskQueue, Keys("old", ("old", oldKey))))
        {
            var oldClient = await ConnectAsync(Converter("old", ("old", oldKey)));
            handle = await oldClient.StartWorkflowAsync((WelcomeWorkflow wf) => wf.RunAsync(customer), new($"welcome-{Guid.NewGuid():N}", taskQueue));
            await handle.WaitForHistoryAsync(events => events.Any(e => e.ActivityTaskCompletedEventAttributes is not null), "the greeting under the old key");
        }

        // Rotated: the new key encrypts, the old one stays listed so the run's earlier payloads still decrypt.
        await using var after = await StartWorkerAsync(taskQueue, Keys("new", ("old", oldKey), ("new", newKey)));
        var newClient = await ConnectAsync(Converter("new", ("old", oldKey), ("new", newKey)));
        var rotated = newClient.GetWorkflowHandle<WelcomeWorkflow>(handle.Id);
        await rotated.SignalAsync(wf => wf.ConfirmAsync("after rotation"));
        var result = await rotated.GetResultAsync<string>();
        var keyIds = MessagePayloads.Of(await fixture.RawHistoryAsync(handle.Id)).Select(KeyIdOf).ToList();

        Assert.Equal($"Dear {customer.Name} <{customer.Email}>, payment {customer.PaymentReference} received; after rotation", result);
        Assert.Equal("old", keyIds[0]);
        Assert.Equal("new", keyIds[^1]);
        Assert.Equal(["new", "old"], keyIds.Distinct().Order(StringComparer.Ordinal));
    }

    public static TheoryData<string, string> Undecryptable() => new()
    {
        { "unknown key", "stranger" },
        { "wrong key", TestEncryption.KeyId },
        { "tampered", TestEncryption.KeyId },
    };

    [Theory]
    [MemberData(nameof(Undecryptable))]
    public async Task RunAsync_InputTheWorkerCannotDecrypt_WorkflowTaskFailsNamingTheKeyAndTheWorkerServesOthers(string how, string keyId)
    {
        var taskQueue = $"customers-{Guid.NewGuid():N}";
        await using var worker = await StartWorkerAsync(taskQueue);
        var converter = how switch
        {
            "tampered" => DataConverter.Default with { PayloadCodec = new TamperingCodec(TestEncryption.DataConverter.PayloadCodec!) },
            _ => Converter(keyId, (keyId, PayloadKeyRing.NewKey())),
        };
        var client = await ConnectAsync(converter);
        var customer = NewCustomer();

        var bad = await client.StartWorkflowAsync((WelcomeWorkflow wf) => wf.RunAsync(customer), new($"welcome-{how.Replace(' ', '-')}-{Guid.NewGuid():N}", taskQueue));
        var events = await bad.WaitForHistoryAsync(
            events => events.Any(e => e.WorkflowTaskFailedEventAttributes is not null), "the workflow task's failure");
        var good = await fixture.Client.StartWorkflowAsync((WelcomeWorkflow wf) => wf.RunAsync(NewCustomer()), new($"welcome-{Guid.NewGuid():N}", taskQueue));
        await good.SignalAsync(wf => wf.ConfirmAsync("still served"));
        var served = await good.GetResultAsync();
        await bad.TerminateAsync("the test ended");

        var failure = events.First(e => e.WorkflowTaskFailedEventAttributes is not null).WorkflowTaskFailedEventAttributes.Failure;
        Assert.Contains($"key '{keyId}'", failure.Message, StringComparison.Ordinal);
        Assert.Equal(EncryptionPayloadCodec.DecryptionFailureType, failure.ApplicationFailureInfo?.Type);
        Assert.True(failure.ApplicationFailureInfo?.NonRetryable);
        Assert.DoesNotContain(events, e => e.ActivityTaskScheduledEventAttributes is not null);
        Assert.EndsWith("; still served", served, StringComparison.Ordinal);
    }

    private static Customer NewCustomer()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        return new Customer($"Ada Lovelace {id}", $"ada.{id}@example.com", $"PAY-{id}");
    }

    private static Dictionary<string, string?> Keys(string active, params (string Id, string Key)[] keys)
    {
        var settings = new Dictionary<string, string?> { ["Estuary:Encryption:ActiveKey"] = active };
        foreach (var (id, key) in keys)
        {
            settings[$"Estuary:Encryption:Keys:{id}"] = key;
        }

        return settings;
    }

    private static DataConverter Converter(string active, params (string Id, string Key)[] keys)
    {
        var options = new EncryptionOptions { ActiveKey = active };
        foreach (var (id, key) in keys)
        {
            options.Keys[id] = key;
        }

        return DataConverter.Default with { PayloadCodec = options.CreateCodec() };
    }

    private Task<TemporalClient> ConnectAsync(DataConverter converter) =>
        TemporalClient.ConnectAsync(new TemporalClientConnectOptions(fixture.Address) { DataConverter = converter });

    private Task<WorkerProcess> StartWorkerAsync(string taskQueue, Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        settings["Estuary:Worker:TaskQueue"] = taskQueue;
        return WorkerProcess.StartAsync(WorkerHost.Build(fixture.Address, settings, configure: null, new CustomersDomain()), taskQueue);
    }

    private static string? KeyIdOf(Payload payload) =>
        EncryptionPayloadCodec.IsEncrypted(payload) && payload.Metadata.TryGetValue(EncryptionPayloadCodec.KeyIdMetadata, out var id) ? id.ToStringUtf8() : null;

    private static bool Contains(byte[] haystack, string text) =>
        haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    // Encrypts with the real codec, then flips one bit of the ciphertext, as an attacker with the database could.
    private sealed class TamperingCodec(IPayloadCodec inner) : IPayloadCodec
    {
        public async Task<IReadOnlyCollection<Payload>> EncodeAsync(IReadOnlyCollection<Payload> payloads) =>
            (await inner.EncodeAsync(payloads)).Select(p =>
            {
                var data = p.Data.ToByteArray();
                data[^1] ^= 1;
                return new Payload(p) { Data = ByteString.CopyFrom(data) };
            }).ToList();

        public Task<IReadOnlyCollection<Payload>> DecodeAsync(IReadOnlyCollection<Payload> payloads) => inner.DecodeAsync(payloads);
    }
}
