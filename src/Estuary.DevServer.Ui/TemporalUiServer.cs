using System.Net;
using Estuary.DevServer.Ui.Components;
using Estuary.DevServer.Ui.Endpoints;
using Estuary.DevServer.Ui.Temporal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Client;

namespace Estuary.DevServer.Ui;

/// <summary>
/// Temporal's web UI, served over HTTP on its own port: workflows per namespace, a workflow's history, and the
/// actions (start, signal, query, cancel, terminate). It talks to Temporal only through <c>WorkflowService</c> at
/// <see cref="TemporalUiOptions.TemporalAddress"/>, so it works with any Temporal server.
/// </summary>
public sealed class TemporalUiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TemporalUiServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>Where the UI is, e.g. <c>http://127.0.0.1:8233/</c> (with the chosen port when started with port 0).</summary>
    public Uri Url { get; }

    /// <summary>Starts the UI; returns once it accepts connections (Temporal itself is reached at the first request).</summary>
    public static async Task<TemporalUiServer> StartAsync(TemporalUiOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var address = options.Ip is "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.Ip);
        var connection = TemporalConnection.CreateLazy(new TemporalConnectionOptions(options.TemporalAddress));

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(TemporalUiServer).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, options.Port, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddRouting();
        builder.Services.AddDataProtection();
        builder.Services.Configure<KeyManagementOptions>(keys =>
        {
            keys.XmlRepository = new InMemoryKeyRepository();
            keys.XmlEncryptor = new NullXmlEncryptor();
        });
        builder.Services.AddAntiforgery();
        builder.Services.AddRazorComponents();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ITemporalConnection>(connection);
        builder.Services.AddSingleton(new RemoteCodec(options.CodecEndpoint, options.CodecAccessToken, loggerFactory.CreateLogger<RemoteCodec>()));
        builder.Services.AddSingleton<TemporalGateway>();
        builder.Services.AddSingleton<WorkflowActions>();

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = ShowErrorAsync });
        app.UseRouting();
        app.UseAntiforgery();
        UiEndpoints.Map(app);
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var port = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a).Port)
            .First();
        var host = options.Ip is "0.0.0.0" or "localhost" ? "127.0.0.1" : options.Ip is "::" ? "[::1]" : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{options.Ip}]" : options.Ip;
        return new TemporalUiServer(app, new Uri($"http://{host}:{port}/"));
    }

    /// <summary>An unexpected failure: a page saying so (the details go to the log, never to the browser).</summary>
    private static async Task ShowErrorAsync(HttpContext context)
    {
        var failure = context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error;
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Estuary.DevServer.Ui")
            .LogError(failure, "The UI failed to serve {Path}", context.Request.Path);
        var status = failure is Microsoft.AspNetCore.Http.BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
        await new RazorComponentResult<MessagePage>(new
        {
            Heading = status == StatusCodes.Status500InternalServerError ? "Something went wrong" : "Bad request",
            Text = status == StatusCodes.Status500InternalServerError
                ? "The UI could not show this page; the server's log says why."
                : failure!.Message,
        })
        { StatusCode = status }.ExecuteAsync(context);
    }

    /// <summary>Stops serving.</summary>
    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }
}
