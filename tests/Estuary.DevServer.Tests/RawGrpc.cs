using System.Buffers.Binary;
using System.Net;
using Google.Protobuf;

namespace Estuary.DevServer.Tests;

/// <summary>
/// gRPC calls over a bare HTTP/2 connection, bypassing the SDK's native client: that client rewrites some
/// requests (e.g. it clears <c>request_eager_execution</c> unless a worker for the task queue runs on it), and a few
/// tests need to send a request exactly as written.
/// </summary>
internal sealed class RawGrpc(string address) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://{address}") };

    /// <summary>Calls <c>WorkflowService/{method}</c>; a non-OK status throws with its code and message.</summary>
    public Task<TResponse> CallAsync<TResponse>(string method, IMessage request, string ns = "default")
        where TResponse : IMessage<TResponse>, new() =>
        CallAsync<TResponse>("temporal.api.workflowservice.v1.WorkflowService", method, request, ns);

    /// <summary>Calls <c>{service}/{method}</c>; a non-OK status throws with its code and message.</summary>
    public async Task<TResponse> CallAsync<TResponse>(string service, string method, IMessage request, string ns = "default")
        where TResponse : IMessage<TResponse>, new()
    {
        using var message = Request(service, method, request, ns);
        using var response = await _http.SendAsync(message);
        var body = await response.Content.ReadAsByteArrayAsync();
        var status = Header(response, "grpc-status");
        if (status != "0")
        {
            throw new InvalidOperationException(
                $"HTTP {(int)response.StatusCode} {response.Version}, gRPC status {status}: {Uri.UnescapeDataString(Header(response, "grpc-message") ?? "")}");
        }
        return Parse<TResponse>(body);
    }

    /// <summary>Calls a server-streaming <c>{service}/{method}</c> and returns its first message, leaving the stream open until then.</summary>
    public async Task<TResponse> FirstStreamedAsync<TResponse>(string service, string method, IMessage request)
        where TResponse : IMessage<TResponse>, new()
    {
        using var message = Request(service, method, request, "default");
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var header = new byte[5];
        await stream.ReadExactlyAsync(header);
        var body = new byte[5 + BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1))];
        header.CopyTo(body, 0);
        await stream.ReadExactlyAsync(body.AsMemory(5));
        return Parse<TResponse>(body);
    }

    private static HttpRequestMessage Request(string service, string method, IMessage request, string ns)
    {
        var payload = request.ToByteArray();
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), payload.Length);
        payload.CopyTo(frame, 5);
        var message = new HttpRequestMessage(HttpMethod.Post, $"/{service}/{method}")
        {
            Content = new ByteArrayContent(frame),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        message.Content.Headers.ContentType = new("application/grpc");
        message.Headers.TryAddWithoutValidation("te", "trailers");
        message.Headers.Add("temporal-namespace", ns);
        return message;
    }

    private static TResponse Parse<TResponse>(byte[] body)
        where TResponse : IMessage<TResponse>, new()
    {
        var length = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(1));
        return new MessageParser<TResponse>(() => new TResponse()).ParseFrom(body, 5, length);
    }

    // A status with no body comes in the headers (trailers-only response), otherwise in the trailers.
    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var values) || response.Headers.TryGetValues(name, out values)
            ? values.First()
            : null;

    public void Dispose() => _http.Dispose();
}
