using System.Net;
using Estuary.DevServer.Engine;
using Estuary.DevServer.Grpc;
using Estuary.DevServer.Store;
using Estuary.DevServer.Ui;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Estuary.DevServer;

/// <summary>
/// A Temporal-compatible server speaking Temporal's gRPC API (WorkflowService, OperatorService, TestService, and the
/// standard gRPC health service) over plaintext HTTP/2, in memory or on a database file
/// (<see cref="DevServerOptions.DatabasePath"/>). Start it, point a Temporal client at <see cref="Address"/>, dispose it.
/// </summary>
public sealed class TemporalDevServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DevServerEngine _engine;
    private readonly TemporalUiServer? _ui;

    private TemporalDevServer(WebApplication app, DevServerEngine engine, TemporalUiServer? ui, string ip, int port)
    {
        _app = app;
        _engine = engine;
        _ui = ui;
        Port = port;
        Address = $"{ip}:{port}";
    }

    /// <summary>host:port to use as <c>TemporalClientConnectOptions.TargetHost</c>.</summary>
    public string Address { get; }

    /// <summary>The port the server listens on (the chosen one when started with port 0).</summary>
    public int Port { get; }

    /// <summary>Where the web UI is (<see cref="DevServerOptions.UiPort"/>); null when it serves none.</summary>
    public Uri? UiUrl => _ui?.Url;

    /// <summary>
    /// Starts a server with <paramref name="options"/>; returns once it accepts connections. With a database file, the
    /// state it holds is loaded first; a file that cannot be used throws <see cref="DevServerDatabaseException"/>.
    /// </summary>
    public static async Task<TemporalDevServer> StartAsync(DevServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var address = options.Ip is "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Ip);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, options.Port, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.AddServerHeader = false;
            // Every workflow result is a long poll on the client's single connection: allow many streams.
            kestrel.Limits.Http2.MaxStreamsPerConnection = 100_000;
            // A larger HPACK table lets the client index its per-call Temporal metadata instead of resending it.
            kestrel.Limits.Http2.HeaderTableSize = 64 * 1024;
            kestrel.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
        });
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddRouting();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = 128 * 1024 * 1024;
            grpc.MaxSendMessageSize = 128 * 1024 * 1024;
            grpc.EnableDetailedErrors = true;
        });
        var engine = StartEngine(options, loggerFactory.CreateLogger("Estuary.DevServer"));
        builder.Services.AddSingleton(engine);
        AddService<WorkflowServiceHandler>(builder.Services);
        AddService<OperatorServiceHandler>(builder.Services);
        AddService<TestServiceHandler>(builder.Services);
        HealthService.Add(builder.Services);

        var app = builder.Build();
        app.UseRouting();
        app.MapGrpcService<WorkflowServiceHandler>();
        app.MapGrpcService<OperatorServiceHandler>();
        app.MapGrpcService<TestServiceHandler>();
        app.MapGrpcHealthChecksService();
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            await engine.DisposeAsync();
            throw;
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a).Port)
            .First();
        TemporalUiServer? ui = null;
        if (options.UiPort is { } uiPort)
        {
            try
            {
                // The UI is a Temporal client like any other: it reaches this server through its gRPC port.
                ui = await TemporalUiServer.StartAsync(new TemporalUiOptions
                {
                    TemporalAddress = $"{ClientHost(options.Ip)}:{bound}",
                    Ip = options.UiIp ?? options.Ip,
                    Port = uiPort,
                    DefaultNamespace = options.Namespaces.FirstOrDefault() ?? "default",
                    CodecEndpoint = options.UiCodecEndpoint,
                    CodecAccessToken = options.UiCodecAccessToken,
                    LoggerFactory = loggerFactory,
                }, ct);
            }
            catch
            {
                engine.Stop();
                await app.DisposeAsync();
                await engine.DisposeAsync();
                throw;
            }
        }
        return new TemporalDevServer(app, engine, ui, options.Ip, bound);
    }

    private static DevServerEngine StartEngine(DevServerOptions options, ILogger logger)
    {
        IServerStore store = string.IsNullOrEmpty(options.DatabasePath)
            ? new InMemoryStore()
            : SqliteStore.Open(options.DatabasePath, options.SyncEveryWrite);
        var engine = new DevServerEngine(options, store, logger, TimeProvider.System);
        try
        {
            engine.Start();
        }
        catch (InvalidDataException e)
        {
            engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new DevServerDatabaseException($"{options.DatabasePath} holds a damaged run record: {e.Message}.", e);
        }
        return engine;
    }

    /// <summary>The address a local client dials for a listening address (a wildcard means this machine).</summary>
    private static string ClientHost(string ip) => ip switch
    {
        "0.0.0.0" or "localhost" => "127.0.0.1",
        "::" => "[::1]",
        _ when ip.Contains(':', StringComparison.Ordinal) => $"[{ip}]",
        _ => ip,
    };

    private static void AddService<THandler>(IServiceCollection services)
        where THandler : ServiceHandler
    {
        services.AddSingleton<THandler>();
        services.AddSingleton<IServiceMethodProvider<THandler>, DescriptorServiceMethodProvider<THandler>>();
    }

    /// <summary>Stops listening, ends open calls and releases the server's state.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ui is not null)
        {
            await _ui.DisposeAsync();
        }
        // Answer held long polls first so Kestrel's graceful stop does not wait for them.
        _engine.Stop();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
        await _engine.DisposeAsync();
    }
}
