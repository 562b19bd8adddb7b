using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>
/// The fixed ports an AppHost listens on (the dashboard's and those its resources declare), checked when the application
/// starts and before anything is started: a taken port is one <see cref="AppHostStartException"/> naming what holds it,
/// instead of a page of "address already in use" from every process that tries to bind it.
/// </summary>
internal static class FixedPorts
{
    // The dashboard's URLs, as the launch profile sets them; the ASPIRE_ and DOTNET_ spellings are equivalent.
    private static readonly (string[] Keys, string Usage)[] DashboardUrls =
    [
        (["ASPNETCORE_URLS"], "the Aspire dashboard"),
        (["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL", "DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"], "the dashboard's OTLP/gRPC endpoint"),
        (["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL", "DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"], "the dashboard's OTLP/HTTP endpoint"),
        (["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL", "DOTNET_RESOURCE_SERVICE_ENDPOINT_URL"], "the dashboard's resource service"),
    ];

    /// <summary>Declares a port the application will listen on; it is checked at start with the dashboard's.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="port">The port.</param>
    /// <param name="usage">What listens there, e.g. <c>Temporal</c>.</param>
    /// <param name="remedy">How to choose another, e.g. <c>set Temporal:Port to a free port</c>.</param>
    public static void Require(IDistributedApplicationBuilder builder, int port, string usage, string remedy)
    {
        if (builder.Services.Select(d => d.ImplementationInstance).OfType<Registry>().FirstOrDefault() is not { } registry)
        {
            registry = new Registry();
            builder.Services.AddSingleton(registry);
            builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
            {
                var dashboard = !@event.Services.GetRequiredService<DistributedApplicationOptions>().DisableDashboard;
                var ports = dashboard ? Dashboard(@event.Services.GetRequiredService<IConfiguration>()).Concat(registry.Ports) : registry.Ports;
                Check(ports);
                return Task.CompletedTask;
            });
        }

        registry.Ports.Add((port, usage, remedy));
    }

    private static IEnumerable<(int Port, string Usage, string Remedy)> Dashboard(IConfiguration configuration)
    {
        const string Remedy = "or choose other dashboard URLs in src/Estuary.AppHost/Properties/launchSettings.json";
        foreach (var (keys, usage) in DashboardUrls)
        {
            var urls = keys.Select(key => configuration[key]).FirstOrDefault(value => !string.IsNullOrWhiteSpace(value)) ?? string.Empty;
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Port > 0)
                {
                    yield return (uri.Port, usage, Remedy);
                }
            }
        }
    }

    private static void Check(IEnumerable<(int Port, string Usage, string Remedy)> ports)
    {
        foreach (var (port, usage, remedy) in ports)
        {
            if (IsFree(port))
            {
                continue;
            }

            var appHostName = typeof(FixedPorts).Assembly.GetName().Name!;
            throw new AppHostStartException(PortOwner.Find(port, appHostName) switch
            {
                { AppHostProcessId: { } appHost } owner when appHost == owner.ProcessId =>
                    $"Port {port} ({usage}) is held by another Estuary AppHost (pid {appHost}): stop that AppHost first, {remedy}.",
                { AppHostProcessId: { } appHost } owner =>
                    $"Port {port} ({usage}) is held by another Estuary AppHost (pid {appHost}, through '{owner.Name}' pid {owner.ProcessId}): stop that AppHost first, {remedy}.",
                { } owner => $"Port {port} ({usage}) is held by '{owner.Name}' (pid {owner.ProcessId}): stop it, {remedy}.",
                null => $"Port {port} ({usage}) is already in use by another process: free it, {remedy}.",
            });
        }
    }

    // Bound on every IPv4 address, then every IPv6 one: any listener on the port, whatever its address, makes it fail.
    private static bool IsFree(int port)
    {
        foreach (var address in Socket.OSSupportsIPv6 ? new[] { IPAddress.Any, IPAddress.IPv6Any } : [IPAddress.Any])
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            try
            {
                socket.Bind(new IPEndPoint(address, port));
                socket.Listen();
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Registry
    {
        public List<(int Port, string Usage, string Remedy)> Ports { get; } = [];
    }
}
