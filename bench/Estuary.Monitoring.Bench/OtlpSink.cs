using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Estuary.Monitoring.Bench;

/// <summary>
/// An OTLP receiver over gRPC on loopback, as the Aspire dashboard is to a worker, that reads every export request
/// whole and drops it: the exporters do all their work (serialising, HTTP/2, waiting for the answer) and nothing is
/// kept. It answers the three OTLP export methods with an empty message and status OK, anything else with
/// UNIMPLEMENTED.
/// </summary>
internal sealed class OtlpSink : IAsyncDisposable
{
    /// <summary>The signals received, in the order of <see cref="BytesOf"/>'s counts.</summary>
    public static readonly string[] Signals = ["traces", "metrics", "logs"];

    private static readonly string[] ExportPaths =
    [
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    ];

    // A gRPC message frame: not compressed, length 0 (an empty Export*ServiceResponse).
    private static readonly byte[] EmptyMessage = new byte[5];

    private readonly WebApplication _app;
    private readonly long[] _bytes = new long[ExportPaths.Length];
    private long _requests;

    private OtlpSink(WebApplication app) => _app = app;

    /// <summary>Gets the endpoint to give <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>Gets the export requests received so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Gets the bytes of request bodies received so far for each of <see cref="Signals"/>.</summary>
    /// <returns>One count per signal.</returns>
    public long[] BytesOf() => [.. _bytes.Select((_, i) => Interlocked.Read(ref _bytes[i]))];

    public static async Task<OtlpSink> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var sink = new OtlpSink(app);
        app.Run(sink.HandleAsync);
        await app.StartAsync();
        sink.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return sink;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        context.Response.ContentType = "application/grpc";
        var signal = Array.IndexOf(ExportPaths, context.Request.Path.Value);
        if (signal < 0)
        {
            context.Response.AppendTrailer("grpc-status", "12");
            return;
        }

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

        Interlocked.Increment(ref _requests);
        await context.Response.Body.WriteAsync(EmptyMessage, context.RequestAborted);
        context.Response.AppendTrailer("grpc-status", "0");
    }
}
