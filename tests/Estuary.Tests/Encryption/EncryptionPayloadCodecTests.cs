using System.Text;
using Estuary.Temporal.Encryption;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;
using Temporalio.Exceptions;

namespace Estuary.Tests.Encryption;

public sealed class EncryptionPayloadCodecTests
{
    private const string Secret = "Ada Lovelace <ada@example.com> IBAN GB33BUKB20201555555555";

    private const int Threads = 8;

    // More than the nonces one draw of random bytes gives a thread, so that every thread draws again.
    private const int PerThread = 100;

    private static readonly byte[] KeyA = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] KeyB = Enumerable.Range(101, 32).Select(i => (byte)i).ToArray();

    private static EncryptionPayloadCodec Codec(string active, params (string Id, byte[] Key)[] keys) =>
        new(new PayloadKeyRing(active, keys.ToDictionary(k => k.Id, k => k.Key)));

    private static Payload Plain() => DataConverter.Default.PayloadConverter.ToPayload(new { Name = Secret });

    private static Payload Plain(string text) => DataConverter.Default.PayloadConverter.ToPayload(text);

    private static async Task<Payload> EncodeAsync(EncryptionPayloadCodec codec, Payload payload) =>
        (await codec.EncodeAsync([payload])).Single();

    private static async Task<Payload> DecodeAsync(EncryptionPayloadCodec codec, Payload payload) =>
        (await codec.DecodeAsync([payload])).Single();

    [Fact]
    public async Task EncodeAsync_Payload_OnlyCiphertextAndKeyIdLeaveAndDecodeGivesItBack()
    {
        var codec = Codec("a", ("a", KeyA));
        var plain = Plain();

        var encrypted = await EncodeAsync(codec, plain);

        Assert.Equal(EncryptionPayloadCodec.Encoding, encrypted.Metadata["encoding"].ToStringUtf8());
        Assert.Equal("a", encrypted.Metadata[EncryptionPayloadCodec.KeyIdMetadata].ToStringUtf8());
        Assert.Equal(2, encrypted.Metadata.Count);
        Assert.DoesNotContain("Lovelace", Encoding.UTF8.GetString(encrypted.ToByteArray()), StringComparison.Ordinal);
        Assert.DoesNotContain("json/plain", Encoding.UTF8.GetString(encrypted.ToByteArray()), StringComparison.Ordinal);
        Assert.Equal(plain, await DecodeAsync(codec, encrypted));
    }

    [Fact]
    public async Task EncodeAsync_SamePayloadTwice_FreshNonceEachTime()
    {
        var codec = Codec("a", ("a", KeyA));
        var plain = Plain();

        var first = await EncodeAsync(codec, plain);
        var second = await EncodeAsync(codec, plain);

        Assert.NotEqual(first.Data, second.Data);
        Assert.NotEqual(first.Data.Span[..12].ToArray(), second.Data.Span[..12].ToArray());
    }

    [Fact]
    public async Task DecodeAsync_AfterRotation_OldPayloadsDecryptWithTheRetiredKeyAndNewOnesUseTheActiveKey()
    {
        var before = Codec("a", ("a", KeyA));
        var after = Codec("b", ("a", KeyA), ("b", KeyB));
        var plain = Plain();
        var old = await EncodeAsync(before, plain);

        var fresh = await EncodeAsync(after, plain);

        Assert.Equal(plain, await DecodeAsync(after, old));
        Assert.Equal("b", fresh.Metadata[EncryptionPayloadCodec.KeyIdMetadata].ToStringUtf8());
        Assert.Equal(plain, await DecodeAsync(after, fresh));
    }

    [Fact]
    public async Task DecodeAsync_UnknownKeyId_NonRetryableFailureNamingTheKey()
    {
        var writer = Codec("b", ("b", KeyB));
        var reader = Codec("a", ("a", KeyA));
        var encrypted = await EncodeAsync(writer, Plain());

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => DecodeAsync(reader, encrypted));

        Assert.True(failure.NonRetryable);
        Assert.Equal(EncryptionPayloadCodec.DecryptionFailureType, failure.ErrorType);
        Assert.Contains("key 'b'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("'a'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecodeAsync_CiphertextAltered_NonRetryableFailureNamingTheKeyAndTheNextPayloadDecrypts()
    {
        var codec = Codec("a", ("a", KeyA));
        var plain = Plain();
        var intact = await EncodeAsync(codec, plain);
        var encrypted = await EncodeAsync(codec, plain);
        var data = encrypted.Data.ToByteArray();
        data[^1] ^= 0x01;
        encrypted.Data = ByteString.CopyFrom(data);

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => DecodeAsync(codec, encrypted));

        Assert.True(failure.NonRetryable);
        Assert.Contains("key 'a'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("does not authenticate", failure.Message, StringComparison.Ordinal);
        Assert.Equal(plain, await DecodeAsync(codec, intact));
    }

    [Fact]
    public async Task DecodeAsync_KeyIdSwappedToAnotherHeldKey_DoesNotAuthenticate()
    {
        var codec = Codec("a", ("a", KeyA), ("b", KeyA));
        var encrypted = await EncodeAsync(codec, Plain());
        encrypted.Metadata[EncryptionPayloadCodec.KeyIdMetadata] = ByteString.CopyFromUtf8("b");

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => DecodeAsync(codec, encrypted));

        Assert.Contains("key 'b'", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(27)]
    public async Task DecodeAsync_Truncated_NonRetryableFailureNamingTheKey(int length)
    {
        var codec = Codec("a", ("a", KeyA));
        var encrypted = await EncodeAsync(codec, Plain());
        encrypted.Data = ByteString.CopyFrom(encrypted.Data.Span[..length]);

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => DecodeAsync(codec, encrypted));

        Assert.True(failure.NonRetryable);
        Assert.Contains("key 'a'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecodeAsync_EncryptedWithoutKeyId_NonRetryableFailure()
    {
        var codec = Codec("a", ("a", KeyA));
        var encrypted = await EncodeAsync(codec, Plain());
        encrypted.Metadata.Remove(EncryptionPayloadCodec.KeyIdMetadata);

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => DecodeAsync(codec, encrypted));

        Assert.True(failure.NonRetryable);
        Assert.Contains(EncryptionPayloadCodec.KeyIdMetadata, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecodeAsync_PayloadNotEncrypted_PassesThroughUnchanged()
    {
        var codec = Codec("a", ("a", KeyA));
        var plain = Plain();

        Assert.Same(plain, await DecodeAsync(codec, plain));
    }

    [Fact]
    public async Task DecodeAsync_PayloadsOfDifferentSizesInOneCall_EachDecodesToItsOriginalInOrder()
    {
        var codec = Codec("a", ("a", KeyA));
        Payload[] plain = [Plain(new string('x', 70_000)), Plain(string.Empty), Plain(new string('x', 1_000)), Plain("x")];

        var decoded = await codec.DecodeAsync(await codec.EncodeAsync(plain));

        Assert.Equal(plain, decoded);
    }

    [Fact]
    public async Task DecodeAsync_TwoCodecsWithOneKeyIdButDifferentKeysOnOneThread_EachUsesItsOwnKey()
    {
        var first = Codec("a", ("a", KeyA));
        var second = Codec("a", ("a", KeyB));
        var plain = Plain();

        var byFirst = await EncodeAsync(first, plain);
        var bySecond = await EncodeAsync(second, plain);

        Assert.Equal(plain, await DecodeAsync(first, byFirst));
        Assert.Equal(plain, await DecodeAsync(second, bySecond));
        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => DecodeAsync(second, byFirst));
        Assert.Contains("does not authenticate", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EncodeAsync_ManyPayloadsOnManyThreadsAtOnce_EveryNonceDiffers()
    {
        var codec = Codec("a", ("a", KeyA));
        var plain = Plain();
        var nonces = new byte[Threads][][];

        OnThreadsAtOnce(thread => nonces[thread] = [.. Enumerable.Range(0, PerThread).Select(_ => EncodeAsync(codec, plain).Result.Data.Span[..12].ToArray())]);

        var all = nonces.SelectMany(n => n).Select(Convert.ToHexString).ToList();
        Assert.Equal(Threads * PerThread, all.Count);
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void DecodeAsync_RotatedKeysFromManyThreadsAtOnce_EveryPayloadDecryptsToItsOwnPlaintext()
    {
        var before = Codec("a", ("a", KeyA));
        var after = Codec("b", ("a", KeyA), ("b", KeyB));
        var mismatches = new int[Threads];
        var keyIds = new HashSet<string>[Threads];

        OnThreadsAtOnce(thread =>
        {
            keyIds[thread] = [];
            for (var i = 0; i < PerThread; i++)
            {
                var plain = Plain($"{Secret} {thread}/{i}");
                var encrypted = EncodeAsync(i % 2 == 0 ? before : after, plain).Result;
                keyIds[thread].Add(encrypted.Metadata[EncryptionPayloadCodec.KeyIdMetadata].ToStringUtf8());
                if (!plain.Equals(DecodeAsync(after, encrypted).Result))
                {
                    mismatches[thread]++;
                }
            }
        });

        Assert.All(mismatches, count => Assert.Equal(0, count));
        Assert.All(keyIds, ids => Assert.Equal(["a", "b"], ids.Order(StringComparer.Ordinal)));
    }

    /// <summary>Runs <paramref name="body"/> on <see cref="Threads"/> threads of their own, released together, and
    /// rethrows the first failure.</summary>
    private static void OnThreadsAtOnce(Action<int> body)
    {
        using var start = new Barrier(Threads);
        var failures = new Exception?[Threads];
        var threads = Enumerable.Range(0, Threads).Select(index => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                body(index);
            }
            catch (Exception e)
            {
                failures[index] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (failures.FirstOrDefault(f => f is not null) is { } failure)
        {
            throw new AggregateException(failure);
        }
    }
}
