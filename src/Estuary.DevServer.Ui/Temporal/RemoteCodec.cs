using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>
/// Temporal's codec server protocol, client side, as Temporal's UI uses it with <c>TEMPORAL_CODEC_ENDPOINT</c>: payloads
/// in <c>binary/encrypted</c> go to <c>POST {endpoint}/{namespace}/decode</c> before they are shown, and what the UI
/// sends (inputs, signals, queries) goes through <c>/encode</c> first, so a UI without the keys never writes plaintext
/// into an encrypted history. Without an endpoint, or when the codec server does not answer, payloads stay as they are
/// (shown as encrypted).
/// </summary>
internal sealed class RemoteCodec(Uri? endpoint, string? accessToken, ILogger<RemoteCodec> logger)
{
    private static readonly ByteString Encrypted = ByteString.CopyFromUtf8("binary/encrypted");
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Whether a codec endpoint is configured.</summary>
    public bool Configured => endpoint is not null;

    /// <summary>Decodes, in place, every encrypted payload inside <paramref name="messages"/> (history events, a query's
    /// answer), in one call to the codec server; those it cannot decode stay encrypted.</summary>
    public async Task DecodeAsync(string ns, IEnumerable<IMessage> messages, CancellationToken ct)
    {
        if (endpoint is null)
        {
            return;
        }

        var encrypted = messages.SelectMany(MessagePayloads.Of)
            .Where(p => p.Metadata.TryGetValue("encoding", out var encoding) && encoding.Equals(Encrypted))
            .ToList();
        if (encrypted.Count > 0 && await CallAsync(ns, "decode", encrypted, ct) is { } decoded)
        {
            for (var i = 0; i < encrypted.Count; i++)
            {
                encrypted[i].Metadata.Clear();
                encrypted[i].Metadata.Add(decoded[i].Metadata);
                encrypted[i].Data = decoded[i].Data;
            }
        }
    }

    /// <summary>Encodes what the UI is about to send; without an endpoint the payloads go as they are.</summary>
    /// <exception cref="InvalidOperationException">The codec server did not encode them: nothing is sent.</exception>
    public async Task<Payloads> EncodeAsync(string ns, Payloads payloads, CancellationToken ct)
    {
        if (endpoint is null || payloads.Payloads_.Count == 0)
        {
            return payloads;
        }

        var encoded = await CallAsync(ns, "encode", payloads.Payloads_, ct)
            ?? throw new InvalidOperationException($"The codec server at {endpoint} did not encode the input; nothing was sent.");
        var result = new Payloads();
        result.Payloads_.AddRange(encoded);
        return result;
    }

    private async Task<IReadOnlyList<Payload>?> CallAsync(string ns, string operation, IEnumerable<Payload> payloads, CancellationToken ct)
    {
        var body = new Payloads();
        body.Payloads_.AddRange(payloads);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{endpoint}/{Uri.EscapeDataString(ns)}/{operation}")
        {
            Content = new StringContent(JsonFormatter.Default.Format(body), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Namespace", ns);
        if (!string.IsNullOrEmpty(accessToken))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        try
        {
            using var response = await Http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("The codec server at {Endpoint} answered {Status} to {Operation}: {Body}", endpoint, (int)response.StatusCode, operation, text);
                return null;
            }

            var answer = Parser.Parse<Payloads>(text).Payloads_;
            if (answer.Count == body.Payloads_.Count)
            {
                return answer;
            }

            logger.LogWarning("The codec server at {Endpoint} answered {Count} payloads to {Operation} of {Sent}", endpoint, answer.Count, operation, body.Payloads_.Count);
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidProtocolBufferException or InvalidJsonException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("The codec server at {Endpoint} failed to {Operation}: {Error}", endpoint, operation, e.Message);
            return null;
        }
    }
}
