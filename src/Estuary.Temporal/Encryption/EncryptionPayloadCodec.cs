using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;
using Temporalio.Exceptions;

namespace Estuary.Temporal.Encryption;

/// <summary>
/// Encrypts every payload with AES-256-GCM before it leaves the process and decrypts it on the way in, so Temporal's
/// server, database and UI hold only ciphertext. An encrypted payload has the encoding <c>binary/encrypted</c>, the
/// key id in <c>encryption-key-id</c>, and as data the nonce (12 bytes, fresh per payload), the tag (16 bytes) and the
/// ciphertext of the whole original payload (metadata included); the key id is authenticated with it. Payloads that
/// are not encrypted pass through decoding unchanged (written before encryption was turned on).
/// </summary>
public sealed class EncryptionPayloadCodec : IPayloadCodec
{
    /// <summary>The encoding of an encrypted payload.</summary>
    public const string Encoding = "binary/encrypted";

    /// <summary>The metadata key naming the key a payload was encrypted with.</summary>
    public const string KeyIdMetadata = "encryption-key-id";

    /// <summary>The failure type of a payload that cannot be decrypted.</summary>
    public const string DecryptionFailureType = "PayloadDecryptionFailed";

    private const int NonceSize = 12;
    private const int TagSize = 16;

    // Each thread draws its random nonces 32 at a time: a draw from the system's generator costs about as much for 32
    // nonces as for one.
    private const int NoncesPerDraw = 32;
    private static readonly ByteString EncodingValue = ByteString.CopyFromUtf8(Encoding);

    [ThreadStatic]
    private static byte[]? t_nonces;

    [ThreadStatic]
    private static int t_nextNonce;

    private readonly PayloadKeyRing _keys;
    private readonly Dictionary<ByteString, CipherKey> _ciphers;
    private readonly CipherKey _active;

    /// <summary>Initializes a new instance of the <see cref="EncryptionPayloadCodec"/> class.</summary>
    /// <param name="keys">The keys: the active one encrypts, any of them decrypts.</param>
    public EncryptionPayloadCodec(PayloadKeyRing keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys;
        _ciphers = keys.KeyIds.ToDictionary(id => ByteString.CopyFromUtf8(id), id => new CipherKey(id, keys.Find(id)!));
        _active = _ciphers[ByteString.CopyFromUtf8(keys.ActiveKeyId)];
    }

    /// <summary>Gets the keys the codec uses.</summary>
    public PayloadKeyRing Keys => _keys;

    /// <summary>Whether <paramref name="payload"/> is an encrypted payload (of any key).</summary>
    /// <param name="payload">The payload.</param>
    /// <returns>True when its encoding is <c>binary/encrypted</c>.</returns>
    public static bool IsEncrypted(Payload payload) =>
        payload.Metadata.TryGetValue("encoding", out var encoding) && encoding.Equals(EncodingValue);

    /// <inheritdoc />
    public Task<IReadOnlyCollection<Payload>> EncodeAsync(IReadOnlyCollection<Payload> payloads)
    {
        var encoded = new Payload[payloads.Count];
        var i = 0;
        foreach (var payload in payloads)
        {
            encoded[i++] = Encrypt(payload);
        }

        return Task.FromResult<IReadOnlyCollection<Payload>>(encoded);
    }

    /// <inheritdoc />
    /// <exception cref="ApplicationFailureException">An encrypted payload names an unknown key, or is truncated or
    /// tampered with: non-retryable, of type <see cref="DecryptionFailureType"/>, naming the key id.</exception>
    public Task<IReadOnlyCollection<Payload>> DecodeAsync(IReadOnlyCollection<Payload> payloads)
    {
        var decoded = new Payload[payloads.Count];
        var i = 0;
        foreach (var payload in payloads)
        {
            decoded[i++] = Decrypt(payload);
        }

        return Task.FromResult<IReadOnlyCollection<Payload>>(decoded);
    }

    private Payload Encrypt(Payload payload)
    {
        // The plaintext is written where its ciphertext goes and encrypted in place.
        var data = new byte[NonceSize + TagSize + payload.CalculateSize()];
        var nonce = data.AsSpan(0, NonceSize);
        var text = data.AsSpan(NonceSize + TagSize);
        NextNonce(nonce);
        payload.WriteTo(text);
        _active.Cipher.Encrypt(nonce, text, text, data.AsSpan(NonceSize, TagSize), _active.Id.Span);
        return new Payload
        {
            Metadata =
            {
                ["encoding"] = EncodingValue,
                [KeyIdMetadata] = _active.Id,
            },
            Data = UnsafeByteOperations.UnsafeWrap(data),
        };
    }

    private Payload Decrypt(Payload payload)
    {
        if (!IsEncrypted(payload))
        {
            return payload;
        }

        if (!payload.Metadata.TryGetValue(KeyIdMetadata, out var keyIdBytes) || keyIdBytes.IsEmpty)
        {
            throw Failure($"An encrypted payload has no '{KeyIdMetadata}' in its metadata.");
        }

        if (!_ciphers.TryGetValue(keyIdBytes, out var key))
        {
            throw Failure($"A payload is encrypted with key '{keyIdBytes.ToStringUtf8()}', which this process does not hold (it holds {string.Join(", ", _keys.KeyIds.Select(id => $"'{id}'"))}).");
        }

        var data = payload.Data.Span;
        if (data.Length < NonceSize + TagSize)
        {
            throw Failure($"A payload encrypted with key '{key.Name}' is truncated ({data.Length} bytes).");
        }

        var length = data.Length - NonceSize - TagSize;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        var plaintext = buffer.AsSpan(0, length);
        try
        {
            try
            {
                key.Cipher.Decrypt(data[..NonceSize], data[(NonceSize + TagSize)..], data.Slice(NonceSize, TagSize), plaintext, key.Id.Span);
            }
            catch (AuthenticationTagMismatchException)
            {
                throw Failure($"A payload encrypted with key '{key.Name}' does not authenticate: it was altered, or the key '{key.Name}' configured here is not the one it was written with.");
            }

            try
            {
                return Payload.Parser.ParseFrom(plaintext);
            }
            catch (InvalidProtocolBufferException)
            {
                throw Failure($"A payload encrypted with key '{key.Name}' decrypts to something that is not a payload.");
            }
        }
        finally
        {
            // The pool hands the buffer to other code next: no plaintext stays in it.
            CryptographicOperations.ZeroMemory(plaintext);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Fills <paramref name="nonce"/> with fresh random bytes, from this thread's batch of them.</summary>
    private static void NextNonce(Span<byte> nonce)
    {
        var nonces = t_nonces ??= new byte[NonceSize * NoncesPerDraw];
        if (t_nextNonce == 0)
        {
            RandomNumberGenerator.Fill(nonces);
        }

        nonces.AsSpan(t_nextNonce, NonceSize).CopyTo(nonce);
        t_nextNonce = (t_nextNonce + NonceSize) % nonces.Length;
    }

    private static ApplicationFailureException Failure(string message) =>
        new(message, errorType: DecryptionFailureType, nonRetryable: true);

    /// <summary>
    /// A key and its AES-GCM instances, one per thread that uses it: an instance holds OpenSSL's cipher context with the
    /// key schedule, whose set-up costs more than encrypting a small payload, and must not be used by two threads at
    /// once. The SDK calls the codec on thread-pool threads, a bounded set, and now and then on the thread it ran a
    /// workflow activation on, which ends afterwards: an instance is released with its thread.
    /// </summary>
    [SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable", Justification = "Temporal never disposes a codec; the instances are released when their thread ends or the codec is collected.")]
    private sealed class CipherKey(string name, byte[] key)
    {
        private readonly ThreadLocal<AesGcm> _cipher = new(() => new AesGcm(key, TagSize));

        /// <summary>Gets the key's id, as payloads' metadata hold it.</summary>
        public ByteString Id { get; } = ByteString.CopyFromUtf8(name);

        /// <summary>Gets the key's id.</summary>
        public string Name => name;

        /// <summary>Gets this thread's instance of the key's cipher.</summary>
        public AesGcm Cipher => _cipher.Value!;
    }
}
