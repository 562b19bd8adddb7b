using Aspire.Hosting.ApplicationModel;
using Estuary.Temporal.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Client;

namespace Aspire.Hosting;

/// <summary>Adds Temporal to the model as one resource whose connection string is <c>host:port</c> of its frontend.</summary>
public static class TemporalHostingExtensions
{
    private const string Image = "temporalio/temporal";
    private const string ContainerDataPath = "/data";

    /// <summary>The embedded server's database in the state directory (not <c>temporal.db</c>: that one is the CLI's own format).</summary>
    public const string EmbeddedDatabaseFile = "estuary-devserver.db";

    /// <summary>
    /// Adds Temporal. In publish mode it is a connection-string parameter (<c>ConnectionStrings:{name}</c>: a
    /// self-hosted frontend or Temporal Cloud, <c>Endpoint=…;Namespace=…;ApiKey=…;Tls=true</c>). When running, the
    /// server is chosen by <c>Temporal:Mode</c> (<see cref="TemporalMode"/>, default <see cref="TemporalMode.Auto"/>)
    /// before the model is built, and the choice is logged in one line. Every mode serves the frontend on the fixed port
    /// <c>Temporal:Port</c> (default 7233) and its UI on that port + 1000; a port already taken stops the application at
    /// start with an <see cref="AppHostStartException"/>. The server is healthy when it answers <c>GetSystemInfo</c>
    /// (<see cref="TemporalHealthCheck"/>, the check the workers make too), and restarted when it crashes
    /// (<see cref="SupervisionExtensions.WithSupervision{T}"/>).
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name, also the connection string name.</param>
    /// <returns>The <see cref="TemporalResource"/>, standing for a connection-string parameter in publish mode, else for a
    /// <see cref="TemporalContainerResource"/>, <see cref="TemporalExecutableResource"/> or <see cref="TemporalProjectResource"/>, as the mode decides.</returns>
    /// <exception cref="AppHostStartException"><c>Temporal:Port</c> is not a port number.</exception>
    public static IResourceBuilder<TemporalResource> AddTemporal(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder.CreateResourceBuilder(new TemporalResource(builder.AddConnectionString(name).Resource));
        }

        var configuration = builder.Configuration.GetSection("Temporal");
        var requested = configuration.GetValue("Mode", TemporalMode.Auto);
        var (mode, reason) = Resolve(requested);
        var persistent = configuration.GetValue("DataVolume", false);
        var port = Port(configuration);

        // Checked before anything is logged or started.
        const string Remedy = "or set Temporal:Port to a free port";
        FixedPorts.Require(builder, port, "Temporal", Remedy);
        FixedPorts.Require(builder, port + EstuaryEndpoints.TemporalUiPortOffset, "the Temporal UI", Remedy);

        // The embedded server keeps its state in a file unless told not to, so workflows survive a restart of the AppHost.
        var embeddedDatabase = configuration.GetValue("Embedded:Persistent", true)
            ? Path.Combine(EstuaryState.Directory(builder), EmbeddedDatabaseFile)
            : null;
        var state = mode == TemporalMode.Embedded ? $"; its state {(embeddedDatabase is null ? "in memory" : $"in {embeddedDatabase}")}" : "";
        StartupLog.Write(builder, $"Temporal: {mode} mode ({reason}{state}); set Temporal:Mode to Container, Cli or Embedded to choose.");

        IResourceBuilder<IResourceWithConnectionString> server = mode switch
        {
            TemporalMode.Container => builder.AddTemporalContainer(name, port, configuration["ImageTag"] ?? "latest", persistent),
            TemporalMode.Cli => builder.AddTemporalCli(name, port, persistent),
            _ => builder.AddTemporalEmbedded(name, port, embeddedDatabase),
        };

        var healthCheckKey = $"{name}-get-system-info";
        builder.Services.AddHealthChecks().AddCheck(healthCheckKey, new TemporalHealthCheck(ConnectionTo(server.Resource)));
        server.WithHealthCheck(healthCheckKey).WithSupervision();
        return builder.CreateResourceBuilder(new TemporalResource(server.Resource));
    }

    private static int Port(IConfiguration temporal)
    {
        const int Highest = ushort.MaxValue - EstuaryEndpoints.TemporalUiPortOffset;
        var text = temporal["Port"];
        if (text is null)
        {
            return EstuaryEndpoints.TemporalDefaultPort;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and <= Highest
            ? port
            : throw new AppHostStartException(
                $"Configuration key 'Temporal:Port' must be a port number from 1 to {Highest} (the UI listens on it + {EstuaryEndpoints.TemporalUiPortOffset}), got '{text}'.");
    }

    // One connection for every check, made once the server's address is allocated; it reconnects by itself when the
    // server comes back on the same address.
    private static Func<CancellationToken, Task<ITemporalConnection>> ConnectionTo(IResourceWithConnectionString server)
    {
        ITemporalConnection? connection = null;
        return async cancellationToken => connection ??= TemporalConnection.CreateLazy(new(
            await server.GetConnectionStringAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Resource '{server.Name}' has no connection string yet.")));
    }

    private static (TemporalMode Mode, string Reason) Resolve(TemporalMode requested) => requested switch
    {
        TemporalMode.Auto when ContainerRuntimeProbe.IsHealthy => (TemporalMode.Container, $"auto: container runtime '{ContainerRuntimeProbe.Runtime}' is healthy"),
        TemporalMode.Auto when ContainerRuntimeProbe.FindOnPath("temporal") is not null => (TemporalMode.Cli, "auto: no container runtime, 'temporal' is on PATH"),
        TemporalMode.Auto => (TemporalMode.Embedded, "auto: no container runtime, no 'temporal' on PATH"),
        _ => (requested, "configured"),
    };

    // The fixed ports are published by the container runtime itself (no proxy), as "docker run -p 7233:7233" would.
    private static IResourceBuilder<TemporalContainerResource> AddTemporalContainer(
        this IDistributedApplicationBuilder builder, string name, int port, string tag, bool persistent)
    {
        var container = builder.AddResource(new TemporalContainerResource(name))
            .WithImage(Image, tag)
            .WithImageRegistry("docker.io")
            .WithEndpoint(port: port, targetPort: EstuaryEndpoints.TemporalGrpcContainerPort, scheme: "tcp", name: EstuaryEndpoints.TemporalGrpc, isProxied: false)
            .WithHttpEndpoint(port: port + EstuaryEndpoints.TemporalUiPortOffset, targetPort: EstuaryEndpoints.TemporalUiContainerPort, name: EstuaryEndpoints.TemporalUi, isProxied: false)
            .WithUrlForEndpoint(EstuaryEndpoints.TemporalUi, url => url.DisplayText = "Temporal UI")
            .WithArgs(
                "server", "start-dev",
                "--ip", "0.0.0.0",
                "--port", Invariant(EstuaryEndpoints.TemporalGrpcContainerPort),
                "--ui-port", Invariant(EstuaryEndpoints.TemporalUiContainerPort),
                "--namespace", EstuaryEndpoints.TemporalNamespace,
                "--log-level", "warn");

        return persistent
            ? container.WithVolume($"estuary-{name}-data", ContainerDataPath).WithArgs("--db-filename", $"{ContainerDataPath}/temporal.db")
            : container;
    }

    // The server itself listens on the fixed ports (no proxy in between), so Temporal's tools see the real server.
    private static IResourceBuilder<TemporalExecutableResource> AddTemporalCli(this IDistributedApplicationBuilder builder, string name, int port, bool persistent)
    {
        var uiPort = port + EstuaryEndpoints.TemporalUiPortOffset;
        var databaseFile = Path.Combine(EstuaryState.Directory(builder), "temporal.db");
        if (persistent)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(databaseFile)!);
        }

        return builder.AddResource(new TemporalExecutableResource(name, ContainerRuntimeProbe.FindOnPath("temporal") ?? "temporal", builder.AppHostDirectory))
            .WithStartDevEndpoints(port, uiPort)
            .WithArgs(StartDevArguments(port, uiPort, persistent ? databaseFile : null));
    }

    private static IResourceBuilder<TemporalProjectResource> AddTemporalEmbedded(this IDistributedApplicationBuilder builder, string name, int port, string? databaseFile)
    {
        var uiPort = port + EstuaryEndpoints.TemporalUiPortOffset;
        // WithProjectDefaults is what AddProject does for its own ProjectResource; this resource also carries the connection string.
#pragma warning disable ASPIREPROJECTS001
        return builder.AddResource(new TemporalProjectResource(name))
            .WithAnnotation(new Projects.Estuary_DevServer())
            .WithProjectDefaults(new ProjectResourceOptions { ExcludeLaunchProfile = true })
#pragma warning restore ASPIREPROJECTS001
            .WithStartDevEndpoints(port, uiPort)
            // Made when the server starts, not while the model is built: an AppHost that stops on a missing prerequisite leaves nothing behind.
            .OnBeforeResourceStarted((_, _, _) =>
            {
                if (databaseFile is not null)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(databaseFile)!);
                }

                return Task.CompletedTask;
            })
            // The same argv as the CLI's dev server: the DevServer itself listens on the fixed ports (gRPC and web UI).
            // The dashboard shows it, --db-filename included, and the server's first log line says where its state is.
            .WithArgs(StartDevArguments(port, uiPort, databaseFile));
    }

    // The temporal CLI and the embedded server both serve gRPC and the web UI themselves on the fixed ports.
    private static IResourceBuilder<T> WithStartDevEndpoints<T>(this IResourceBuilder<T> builder, int port, int uiPort)
        where T : IResourceWithEndpoints =>
        builder
            .WithEndpoint(port: port, scheme: "tcp", name: EstuaryEndpoints.TemporalGrpc, isProxied: false)
            .WithHttpEndpoint(port: uiPort, name: EstuaryEndpoints.TemporalUi, isProxied: false)
            .WithUrlForEndpoint(EstuaryEndpoints.TemporalUi, url => url.DisplayText = "Temporal UI");

    // `temporal server start-dev`'s argv, which the embedded server takes too; a database file makes it persistent.
    private static string[] StartDevArguments(int port, int uiPort, string? databaseFile) =>
    [
        "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", Invariant(port),
        "--ui-port", Invariant(uiPort),
        "--namespace", EstuaryEndpoints.TemporalNamespace,
        "--log-level", "warn",
        .. databaseFile is null ? Array.Empty<string>() : ["--db-filename", databaseFile],
    ];

    private static string Invariant(int number) => number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
