using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Estuary.Testing;

/// <summary>
/// Stands in for the dashboard's OTLP/gRPC endpoint on loopback: it accepts every export (traces, metrics, logs) with an
/// empty successful answer (anything else gets UNIMPLEMENTED) and counts the requests and their bytes per signal. By
/// default it keeps each request's API key header and body, so a test can see who exported what with which key; a
/// benchmark starts it with <c>keepExports: false</c>, so it reads every body whole and drops it, and the exporters do
/// all their work (serialising, HTTP/2, waiting for the answer) while nothing piles up. With <c>countItems</c> it also
/// counts the spans, log records and metric data points of each instrumentation scope (<see cref="ItemsByScope"/>).
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private static readonly string[] ExportPaths =
    [
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    ];

    // An empty Export*ServiceResponse: one uncompressed gRPC frame of length 0.
    private static readonly byte[] EmptyMessage = new byte[5];

    private readonly WebApplication _app;
    private readonly bool _keepExports;
    private readonly bool _countItems;
    private readonly Dictionary<string, long>[] _items = [.. ExportPaths.Select(_ => new Dictionary<string, long>(StringComparer.Ordinal))];
    private readonly long[] _bytes = new long[ExportPaths.Length];
    private readonly List<Export> _exports = [];
    private readonly List<(Func<Export, bool> Match, TaskCompletionSource<Export> Found)> _waiters = [];
    private long _requests;

    private OtlpReceiver(WebApplication app, bool keepExports, bool countItems)
    {
        _app = app;
        _keepExports = keepExports;
        _countItems = countItems;
    }

    /// <summary>Gets the endpoint, <c>http://127.0.0.1:port</c>.</summary>
    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>Gets the export requests received so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Starts a receiver on a free loopback port.</summary>
    /// <param name="keepExports">Whether to keep every export for <see cref="WaitForAsync"/>; without, only counts remain.</param>
    /// <param name="countItems">Whether to decode every export to count its items by scope (<see cref="ItemsByScope"/>).</param>
    /// <returns>The running receiver.</returns>
    public static async Task<OtlpReceiver> StartAsync(bool keepExports = true, bool countItems = false)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, keepExports, countItems);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return receiver;
    }

    /// <summary>Gets the bytes of request bodies received so far for a signal.</summary>
    /// <param name="signal">The signal.</param>
    /// <returns>The bytes, gRPC framing included.</returns>
    public long BytesOf(OtlpSignal signal) => Interlocked.Read(ref _bytes[(int)signal]);

    /// <summary>Gets the items received so far for a signal, by instrumentation scope (empty unless started with <c>countItems</c>).</summary>
    /// <param name="signal">The signal.</param>
    /// <returns>A copy: scope name → spans, log records or metric data points.</returns>
    public Dictionary<string, long> ItemsByScope(OtlpSignal signal)
    {
        lock (_items[(int)signal])
        {
            return new(_items[(int)signal], StringComparer.Ordinal);
        }
    }

    /// <summary>Waits for an export that matches.</summary>
    /// <param name="match">What to look for.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The first matching export.</returns>
    /// <exception cref="InvalidOperationException">The receiver was started without keeping exports.</exception>
    public async Task<Export> WaitForAsync(Func<Export, bool> match, CancellationToken cancellationToken)
    {
        if (!_keepExports)
        {
            throw new InvalidOperationException("This OTLP receiver keeps no exports (started with keepExports: false).");
        }

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

    private async Task HandleAsync(HttpContext context)
    {
        context.Response.ContentType = "application/grpc";
        var signal = Array.IndexOf(ExportPaths, context.Request.Path.Value);
        if (signal < 0 || !HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.AppendTrailer("grpc-status", "12");
            return;
        }

        if (_keepExports || _countItems)
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            Interlocked.Add(ref _bytes[signal], body.Length);
            if (_countItems)
            {
                lock (_items[signal])
                {
                    OtlpItems.CountByScope((OtlpSignal)signal, body.GetBuffer().AsSpan(0, (int)body.Length), _items[signal]);
                }
            }

            if (_keepExports)
            {
                Keep(new Export(context.Request.Path, context.Request.Headers["x-otlp-api-key"].ToString(), body.ToArray()));
            }
        }
        else
        {
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int read;
                while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
                {
                    Interlocked.Add(ref _bytes[signal], read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        Interlocked.Increment(ref _requests);
        await context.Response.Body.WriteAsync(EmptyMessage, context.RequestAborted);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    private void Keep(Export export)
    {
        lock (_exports)
        {
            _exports.Add(export);
            foreach (var waiter in _waiters.Where(w => w.Match(export)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(export);
            }
        }
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

/// <summary>The OTLP signals an <see cref="OtlpReceiver"/> receives.</summary>
public enum OtlpSignal
{
    /// <summary>Spans (<c>TraceService/Export</c>).</summary>
    Traces,

    /// <summary>Metric data points (<c>MetricsService/Export</c>).</summary>
    Metrics,

    /// <summary>Log records (<c>LogsService/Export</c>).</summary>
    Logs,
}
