using Estuary.Temporal.Encryption;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;
using Temporalio.Exceptions;

namespace Estuary.Cli.Commands;

/// <summary>
/// The command line's payload codec: encrypts and decrypts as the workers do (<see cref="EncryptionPayloadCodec"/>), and
/// shows a payload it cannot decrypt (no key configured here, or not the key it was written with) as the text
/// <c>encrypted …</c> saying why, so that reading a result or an answer never fails on it. Commands that send payloads
/// check first that a key is configured (<see cref="TemporalCommandOptions.RequireKeys"/>).
/// </summary>
/// <param name="codec">The encryption codec, or <c>null</c> when this process holds no key or encryption is off.</param>
internal sealed class ReadablePayloadCodec(EncryptionPayloadCodec? codec) : IPayloadCodec
{
    /// <inheritdoc />
    public Task<IReadOnlyCollection<Payload>> EncodeAsync(IReadOnlyCollection<Payload> payloads) =>
        codec?.EncodeAsync(payloads) ?? Task.FromResult(payloads);

    /// <inheritdoc />
    public async Task<IReadOnlyCollection<Payload>> DecodeAsync(IReadOnlyCollection<Payload> payloads)
    {
        var decoded = new List<Payload>(payloads.Count);
        foreach (var payload in payloads)
        {
            if (!EncryptionPayloadCodec.IsEncrypted(payload))
            {
                decoded.Add(payload);
            }
            else if (codec is null)
            {
                var keyId = payload.Metadata.TryGetValue(EncryptionPayloadCodec.KeyIdMetadata, out var id) ? id.ToStringUtf8() : "?";
                decoded.Add(Label($"encrypted with key '{keyId}': no key is configured here ({EncryptionOptions.SectionName}:Keys:{keyId})"));
            }
            else
            {
                try
                {
                    decoded.AddRange(await codec.DecodeAsync([payload]));
                }
                catch (ApplicationFailureException e) when (e.ErrorType == EncryptionPayloadCodec.DecryptionFailureType)
                {
                    decoded.Add(Label($"encrypted: {e.Message}"));
                }
            }
        }

        return decoded;
    }

    private static Payload Label(string text) => DataConverter.Default.PayloadConverter.ToPayload(text);
}
