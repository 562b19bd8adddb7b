using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Estuary.Testing;

/// <summary>
/// Stands in for the dashboard's OTLP/gRPC endpoint: it accepts every export (traces, metrics, logs) with an empty
/// successful answer and keeps each request's API key header and body, so a test can see who exported what with which key.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<Export> _exports = [];
    private readonly List<(Func<Export, bool> Match, TaskCompletionSource<Export> Found)> _waiters = [];

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>Gets the endpoint, <c>http://127.0.0.1:port</c>.</summary>
    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>Starts a receiver on a free loopback port.</summary>
    /// <returns>The running receiver.</returns>
    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/{**method}", receiver.ExportAsync);
        await app.StartAsync();
        receiver.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return receiver;
    }

    /// <summary>Waits for an export that matches.</summary>
    /// <param name="match">What to look for.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The first matching export.</returns>
    public async Task<Export> WaitForAsync(Func<Export, bool> match, CancellationToken cancellationToken)
    {
        var found = new TaskCompletionSource<Export>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_exports)
        {
            if (_exports.FirstOrDefault(match) is { } export)
            {
                return export;
            }

            _waiters.Add((match, found));
        }

        return await found.Task.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    // An empty ExportXxxServiceResponse: one uncompressed gRPC frame of length 0, then status OK in the trailers.
    private async Task ExportAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var export = new Export(context.Request.Path, context.Request.Headers["x-otlp-api-key"].ToString(), body.ToArray());
        lock (_exports)
        {
            _exports.Add(export);
            foreach (var waiter in _waiters.Where(w => w.Match(export)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(export);
            }
        }

        context.Response.ContentType = "application/grpc";
        await context.Response.Body.WriteAsync(new byte[5]);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    /// <summary>One export request.</summary>
    /// <param name="Method">The gRPC method, e.g. <c>/opentelemetry.proto.collector.trace.v1.TraceService/Export</c>.</param>
    /// <param name="ApiKey">The <c>x-otlp-api-key</c> header.</param>
    /// <param name="Body">The gRPC frames (protobuf: strings appear as their UTF-8 bytes).</param>
    public sealed record Export(string Method, string ApiKey, byte[] Body)
    {
        /// <summary>Tells whether the body holds a text (a service name, a span attribute).</summary>
        /// <param name="text">The text.</param>
        /// <returns>Whether its UTF-8 bytes occur in the body.</returns>
        public bool Contains(string text) => Body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(text)) >= 0;
    }
}
