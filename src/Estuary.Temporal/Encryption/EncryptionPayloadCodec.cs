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
    private static readonly ByteString EncodingValue = ByteString.CopyFromUtf8(Encoding);

    private readonly PayloadKeyRing _keys;
    private readonly ByteString _activeKeyId;

    /// <summary>Initializes a new instance of the <see cref="EncryptionPayloadCodec"/> class.</summary>
    /// <param name="keys">The keys: the active one encrypts, any of them decrypts.</param>
    public EncryptionPayloadCodec(PayloadKeyRing keys)
    {
        _keys = keys;
        _activeKeyId = ByteString.CopyFromUtf8(keys.ActiveKeyId);
    }

    /// <summary>Gets the keys the codec uses.</summary>
    public PayloadKeyRing Keys => _keys;

    /// <summary>Whether <paramref name="payload"/> is an encrypted payload (of any key).</summary>
    /// <param name="payload">The payload.</param>
    /// <returns>True when its encoding is <c>binary/encrypted</c>.</returns>
    public static bool IsEncrypted(Payload payload) =>
        payload.Metadata.TryGetValue("encoding", out var encoding) && encoding.Equals(EncodingValue);

    /// <inheritdoc />
    public Task<IReadOnlyCollection<Payload>> EncodeAsync(IReadOnlyCollection<Payload> payloads) =>
        Task.FromResult<IReadOnlyCollection<Payload>>(payloads.Select(Encrypt).ToList());

    /// <inheritdoc />
    /// <exception cref="ApplicationFailureException">An encrypted payload names an unknown key, or is truncated or
    /// tampered with: non-retryable, of type <see cref="DecryptionFailureType"/>, naming the key id.</exception>
    public Task<IReadOnlyCollection<Payload>> DecodeAsync(IReadOnlyCollection<Payload> payloads) =>
        Task.FromResult<IReadOnlyCollection<Payload>>(payloads.Select(Decrypt).ToList());

    private Payload Encrypt(Payload payload)
    {
        var plaintext = payload.ToByteArray();
        var data = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = data.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(_keys.ActiveKey, TagSize))
        {
            aes.Encrypt(nonce, plaintext, data.AsSpan(NonceSize + TagSize), data.AsSpan(NonceSize, TagSize), _activeKeyId.Span);
        }

        return new Payload
        {
            Metadata =
            {
                ["encoding"] = EncodingValue,
                [KeyIdMetadata] = _activeKeyId,
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

        var keyId = keyIdBytes.ToStringUtf8();
        var key = _keys.Find(keyId)
            ?? throw Failure($"A payload is encrypted with key '{keyId}', which this process does not hold (it holds {string.Join(", ", _keys.KeyIds.Select(id => $"'{id}'"))}).");
        var data = payload.Data.Span;
        if (data.Length < NonceSize + TagSize)
        {
            throw Failure($"A payload encrypted with key '{keyId}' is truncated ({data.Length} bytes).");
        }

        var plaintext = new byte[data.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(data[..NonceSize], data[(NonceSize + TagSize)..], data.Slice(NonceSize, TagSize), plaintext, keyIdBytes.Span);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw Failure($"A payload encrypted with key '{keyId}' does not authenticate: it was altered, or the key '{keyId}' configured here is not the one it was written with.");
        }

        try
        {
            return Payload.Parser.ParseFrom(plaintext);
        }
        catch (InvalidProtocolBufferException)
        {
            throw Failure($"A payload encrypted with key '{keyId}' decrypts to something that is not a payload.");
        }
    }

    private static ApplicationFailureException Failure(string message) =>
        new(message, errorType: DecryptionFailureType, nonRetryable: true);
}
