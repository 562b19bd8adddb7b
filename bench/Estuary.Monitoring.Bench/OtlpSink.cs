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
    private static readonly HashSet<string> ExportPaths =
    [
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    ];

    // A gRPC message frame: not compressed, length 0 (an empty Export*ServiceResponse).
    private static readonly byte[] EmptyMessage = new byte[5];

    private readonly WebApplication _app;
    private long _requests;
    private long _bytes;

    private OtlpSink(WebApplication app) => _app = app;

    /// <summary>Gets the endpoint to give <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>Gets the export requests received so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Gets the bytes of request bodies received so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

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
        if (!ExportPaths.Contains(context.Request.Path.Value ?? string.Empty))
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
                Interlocked.Add(ref _bytes, read);
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
