using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>Adds PostgreSQL: Aspire's container when a container runtime is available, else a server from the machine's binaries.</summary>
public static class PostgresHostingExtensions
{
    /// <summary>
    /// Adds a PostgreSQL server whose superuser password is the secret parameter <c>{name}-password</c> (generated and
    /// kept in user secrets when not set). Publishing, or running with <c>Postgres:Mode</c> <see cref="PostgresMode.Container"/>
    /// (or <see cref="PostgresMode.Auto"/> with a healthy container runtime), gives Aspire's container with a data volume;
    /// otherwise a <see cref="LocalPostgresServerResource"/> with its cluster in the AppHost's state directory
    /// (<c>Postgres:DataDirectory</c> overrides it, <c>Postgres:BinDirectory</c> the binaries).
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <returns>The server.</returns>
    /// <remarks>In local mode without PostgreSQL server binaries the AppHost exits with code 1 and one line saying what to install.</remarks>
    public static IResourceBuilder<IResourceWithConnectionString> AddEstuaryPostgres(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        var password = builder.AddParameter($"{name}-password", new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);
        var configuration = builder.Configuration.GetSection("Postgres");
        var requested = configuration.GetValue("Mode", PostgresMode.Auto);
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddPostgres(name, password: password).WithDataVolume();
        }

        var (mode, reason) = requested switch
        {
            PostgresMode.Auto when ContainerRuntimeProbe.IsHealthy => (PostgresMode.Container, $"auto: container runtime '{ContainerRuntimeProbe.Runtime}' is healthy"),
            PostgresMode.Auto => (PostgresMode.Local, "auto: no container runtime"),
            _ => (requested, "configured"),
        };
        StartupLog.Write(builder, $"PostgreSQL: {mode} mode ({reason}); set Postgres:Mode to Container or Local to choose.");
        if (mode == PostgresMode.Container)
        {
            return builder.AddPostgres(name, password: password).WithDataVolume();
        }

        var installation = LocalPostgresInstallation.Find(configuration["BinDirectory"]);
        if (installation is null)
        {
            // Nothing can run without a database: one line that says what to do beats a stack trace.
            Console.Error.WriteLine(
                "PostgreSQL server binaries not found (no postgres and initdb in Postgres:BinDirectory, /usr/lib/postgresql/*/bin or PATH): install them with 'apt-get install -y postgresql', or run with a container runtime.");
            Environment.Exit(1);
        }

        var dataDirectory = Path.GetFullPath(configuration["DataDirectory"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(EstuaryState.Directory(builder), "postgres", "data"));
        return builder.AddLocalPostgres(name, installation, dataDirectory, password.Resource);
    }

    /// <summary>Adds a database to a server added by <see cref="AddEstuaryPostgres"/>.</summary>
    /// <param name="server">The server.</param>
    /// <param name="name">The resource name, also the connection string name.</param>
    /// <param name="databaseName">The database's name in the server.</param>
    /// <returns>The database.</returns>
    /// <exception cref="ArgumentException">The server was not added by <see cref="AddEstuaryPostgres"/>.</exception>
    public static IResourceBuilder<IResourceWithConnectionString> AddDatabase(
        this IResourceBuilder<IResourceWithConnectionString> server, [ResourceName] string name, string databaseName) => server.Resource switch
        {
            PostgresServerResource container => server.ApplicationBuilder.CreateResourceBuilder(container).AddDatabase(name, databaseName),
            LocalPostgresServerResource local => server.ApplicationBuilder.AddLocalDatabase(local, name, databaseName),
            _ => throw new ArgumentException($"Resource '{server.Resource.Name}' is not a PostgreSQL server.", nameof(server)),
        };

    private static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, LocalPostgresInstallation installation, string dataDirectory, ParameterResource password)
    {
        var dropsPrivileges = LocalPostgresCluster.DropsPrivileges;
        var resource = new LocalPostgresServerResource(
            name, dropsPrivileges ? LocalPostgresCluster.SetPriv : installation.Postgres, installation, dataDirectory, password);

        var server = builder.AddResource(resource)
            .WithEndpoint(scheme: "tcp", name: EstuaryEndpoints.PostgresTcp)
            .WithIconName("Database");
        server.WithArgs(context =>
        {
            if (dropsPrivileges)
            {
                foreach (var argument in LocalPostgresCluster.SetPrivArgs)
                {
                    context.Args.Add(argument);
                }

                context.Args.Add(installation.Postgres);
            }

            context.Args.Add("-D");
            context.Args.Add(dataDirectory);
            context.Args.Add("-h");
            context.Args.Add("127.0.0.1");
            context.Args.Add("-k");
            context.Args.Add(dataDirectory);
            context.Args.Add("-p");
            context.Args.Add(resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
        });

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(resource, async (@event, cancellationToken) =>
        {
            var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);
            var secret = await password.GetValueAsync(cancellationToken) ?? throw new InvalidOperationException($"Parameter '{password.Name}' has no value.");
            await LocalPostgresCluster.PrepareDataDirectoryAsync(resource, secret, logger, cancellationToken);
        });
        builder.Eventing.Subscribe<ResourceReadyEvent>(resource, async (@event, cancellationToken) =>
        {
            var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);
            var secret = await password.GetValueAsync(cancellationToken) ?? throw new InvalidOperationException($"Parameter '{password.Name}' has no value.");
            await LocalPostgresCluster.CreateDatabasesAsync(resource, secret, logger, cancellationToken);

            // The databases have no process of their own: they run once they exist.
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var database in resource.Databases)
            {
                await notifications.PublishUpdateAsync(database, snapshot => snapshot with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
            }
        });

        var healthCheckKey = $"{name}-select-1";
        builder.AddSettlingHealthCheck(healthCheckKey, new PostgresHealthCheck(_ => Task.FromResult(resource.SocketConnectionString())));
        return server.WithHealthCheck(healthCheckKey);
    }

    private static IResourceBuilder<LocalPostgresDatabaseResource> AddLocalDatabase(
        this IDistributedApplicationBuilder builder, LocalPostgresServerResource server, string name, string databaseName)
    {
        var database = new LocalPostgresDatabaseResource(name, databaseName, server);
        server.AddDatabase(database);
        IResourceWithConnectionString connection = database;

        // Over TCP with the password: the way the workers connect.
        var healthCheckKey = $"{name}-select-1";
        builder.AddSettlingHealthCheck(
            healthCheckKey,
            new PostgresHealthCheck(async cancellationToken => $"{await connection.GetConnectionStringAsync(cancellationToken)};Pooling=false;Timeout=3"));
        return builder.AddResource(database)
            .WithIconName("Database")
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new(CustomResourceKnownProperties.Source, server.Name)],
            })
            .WithHealthCheck(healthCheckKey);
    }
}
