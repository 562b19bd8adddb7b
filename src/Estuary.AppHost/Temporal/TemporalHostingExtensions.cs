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
    /// before the model is built, and the choice is logged in one line. The server is healthy when it answers
    /// <c>GetSystemInfo</c> (<see cref="TemporalHealthCheck"/>, the check the workers make too).
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name, also the connection string name.</param>
    /// <returns>The resource: a connection string in publish mode, else a <see cref="TemporalContainerResource"/>,
    /// <see cref="TemporalExecutableResource"/> or <see cref="TemporalProjectResource"/>, as the mode decides.</returns>
    public static IResourceBuilder<IResourceWithConnectionString> AddTemporal(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddConnectionString(name);
        }

        var configuration = builder.Configuration.GetSection("Temporal");
        var requested = configuration.GetValue("Mode", TemporalMode.Auto);
        var (mode, reason) = Resolve(requested);
        var persistent = configuration.GetValue("DataVolume", false);
        // The embedded server keeps its state in a file unless told not to, so workflows survive a restart of the AppHost.
        var embeddedDatabase = configuration.GetValue("Embedded:Persistent", true)
            ? Path.Combine(EstuaryState.Directory(builder), EmbeddedDatabaseFile)
            : null;
        var state = mode == TemporalMode.Embedded ? $"; its state {(embeddedDatabase is null ? "in memory" : $"in {embeddedDatabase}")}" : "";
        StartupLog.Write(builder, $"Temporal: {mode} mode ({reason}{state}); set Temporal:Mode to Container, Cli or Embedded to choose.");

        IResourceBuilder<IResourceWithConnectionString> server = mode switch
        {
            TemporalMode.Container => builder.AddTemporalContainer(name, configuration["ImageTag"] ?? "latest", persistent),
            TemporalMode.Cli => builder.AddTemporalCli(name, persistent),
            _ => builder.AddTemporalEmbedded(name, embeddedDatabase),
        };

        var healthCheckKey = $"{name}-get-system-info";
        builder.Services.AddHealthChecks().AddCheck(healthCheckKey, new TemporalHealthCheck(ConnectionTo(server.Resource)));
        return server.WithHealthCheck(healthCheckKey);
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

    private static IResourceBuilder<TemporalContainerResource> AddTemporalContainer(
        this IDistributedApplicationBuilder builder, string name, string tag, bool persistent)
    {
        var container = builder.AddResource(new TemporalContainerResource(name))
            .WithImage(Image, tag)
            .WithImageRegistry("docker.io")
            .WithEndpoint(targetPort: EstuaryEndpoints.TemporalGrpcContainerPort, scheme: "tcp", name: EstuaryEndpoints.TemporalGrpc)
            .WithHttpEndpoint(targetPort: EstuaryEndpoints.TemporalUiContainerPort, name: EstuaryEndpoints.TemporalUi)
            .WithUrlForEndpoint(EstuaryEndpoints.TemporalUi, url => url.DisplayText = "Temporal UI")
            .WithArgs(
                "server", "start-dev",
                "--ip", "0.0.0.0",
                "--port", EstuaryEndpoints.TemporalGrpcContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--ui-port", EstuaryEndpoints.TemporalUiContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--namespace", "default",
                "--log-level", "warn");

        return persistent
            ? container.WithVolume($"estuary-{name}-data", ContainerDataPath).WithArgs("--db-filename", $"{ContainerDataPath}/temporal.db")
            : container;
    }

    private static IResourceBuilder<TemporalExecutableResource> AddTemporalCli(this IDistributedApplicationBuilder builder, string name, bool persistent)
    {
        var databaseFile = Path.Combine(EstuaryState.Directory(builder), "temporal.db");
        if (persistent)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(databaseFile)!);
        }

        var cli = builder.AddResource(new TemporalExecutableResource(name, ContainerRuntimeProbe.FindOnPath("temporal") ?? "temporal", builder.AppHostDirectory))
            .WithEndpoint(scheme: "tcp", name: EstuaryEndpoints.TemporalGrpc)
            .WithHttpEndpoint(name: EstuaryEndpoints.TemporalUi)
            .WithUrlForEndpoint(EstuaryEndpoints.TemporalUi, url => url.DisplayText = "Temporal UI");

        cli.WithArgs(context =>
        {
            context.Args.Add("server");
            context.Args.Add("start-dev");
            context.Args.Add("--ip");
            context.Args.Add("127.0.0.1");
            context.Args.Add("--port");
            context.Args.Add(cli.GetEndpoint(EstuaryEndpoints.TemporalGrpc).Property(EndpointProperty.TargetPort));
            context.Args.Add("--ui-port");
            context.Args.Add(cli.GetEndpoint(EstuaryEndpoints.TemporalUi).Property(EndpointProperty.TargetPort));
            context.Args.Add("--namespace");
            context.Args.Add("default");
            context.Args.Add("--log-level");
            context.Args.Add("warn");
            if (persistent)
            {
                context.Args.Add("--db-filename");
                context.Args.Add(databaseFile);
            }
        });
        return cli;
    }

    private static IResourceBuilder<TemporalProjectResource> AddTemporalEmbedded(this IDistributedApplicationBuilder builder, string name, string? databaseFile)
    {
        // WithProjectDefaults is what AddProject does for its own ProjectResource; this resource also carries the connection string.
#pragma warning disable ASPIREPROJECTS001
        var server = builder.AddResource(new TemporalProjectResource(name))
            .WithAnnotation(new Projects.Estuary_DevServer())
            .WithProjectDefaults(new ProjectResourceOptions { ExcludeLaunchProfile = true })
#pragma warning restore ASPIREPROJECTS001
            .WithEndpoint(scheme: "tcp", name: EstuaryEndpoints.TemporalGrpc)
            .WithHttpEndpoint(name: EstuaryEndpoints.TemporalUi)
            .WithUrlForEndpoint(EstuaryEndpoints.TemporalUi, url => url.DisplayText = "Temporal UI");
        if (databaseFile is not null)
        {
            // Made when the server starts, not while the model is built: an AppHost that stops on a missing prerequisite leaves nothing behind.
            server.OnBeforeResourceStarted((_, _, _) =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(databaseFile)!);
                return Task.CompletedTask;
            });
        }

        // The same argv as the CLI's dev server: the DevServer listens (gRPC and web UI) where Aspire's endpoints point.
        // The dashboard shows it, --db-filename included, and the server's first log line says where its state is.
        server.WithArgs(context =>
        {
            context.Args.Add("server");
            context.Args.Add("start-dev");
            context.Args.Add("--ip");
            context.Args.Add("127.0.0.1");
            context.Args.Add("--port");
            context.Args.Add(server.GetEndpoint(EstuaryEndpoints.TemporalGrpc).Property(EndpointProperty.TargetPort));
            context.Args.Add("--ui-port");
            context.Args.Add(server.GetEndpoint(EstuaryEndpoints.TemporalUi).Property(EndpointProperty.TargetPort));
            context.Args.Add("--namespace");
            context.Args.Add("default");
            context.Args.Add("--log-level");
            context.Args.Add("warn");
            if (databaseFile is not null)
            {
                context.Args.Add("--db-filename");
                context.Args.Add(databaseFile);
            }
        });
        return server;
    }
}
