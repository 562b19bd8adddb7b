using Aspire.Hosting.ApplicationModel;
using Estuary.Hosting.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Aspire.Hosting;

/// <summary>Adds PostgreSQL: Aspire's container when a container runtime is available, else a server from the machine's binaries.</summary>
public static class PostgresHostingExtensions
{
    private const string PasswordVariable = "POSTGRES_PASSWORD";

    // Where Docker's and Compose's secrets are, in the container.
    private const string ContainerSecretsDirectory = "/run/secrets";
    private const string ContainerPasswordFileName = "postgres-password";

    /// <summary>
    /// Adds a PostgreSQL server whose superuser password is the secret parameter <c>{name}-password</c> (generated and
    /// kept in user secrets when not set). Publishing, or running with <c>Postgres:Mode</c> <see cref="PostgresMode.Container"/>
    /// (or <see cref="PostgresMode.Auto"/> with a healthy container runtime), gives Aspire's container with a data volume
    /// (in a run its clients' connection strings name a password file, <see cref="EstuaryPostgresResource.PasswordFile"/>, and
    /// the container reads the password from a file the orchestrator puts in it, not from its environment);
    /// otherwise a <see cref="LocalPostgresServerResource"/> with its cluster in the AppHost's state directory
    /// (<c>Postgres:DataDirectory</c> overrides it, <c>Postgres:BinDirectory</c> the binaries).
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <returns>The <see cref="EstuaryPostgresResource"/>, standing for a <see cref="PostgresServerResource"/> or a
    /// <see cref="LocalPostgresServerResource"/>, as the mode decides.</returns>
    /// <exception cref="PostgresNotInstalledException">Local mode, and the machine has no PostgreSQL server binaries.</exception>
    public static IResourceBuilder<EstuaryPostgresResource> AddEstuaryPostgres(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        var password = builder.AddParameter($"{name}-password", new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);
        if (builder.ExecutionContext.IsPublishMode)
        {
            return Chosen(builder.AddPostgres(name, password: password).WithDataVolume());
        }

        var configuration = builder.Configuration.GetSection("Postgres");
        var requested = configuration.GetValue("Mode", PostgresMode.Auto);
        var (mode, reason) = requested switch
        {
            PostgresMode.Auto when ContainerRuntimeProbe.IsHealthy => (PostgresMode.Container, $"auto: container runtime '{ContainerRuntimeProbe.Runtime}' is healthy"),
            PostgresMode.Auto => (PostgresMode.Local, "auto: no container runtime"),
            _ => (requested, "configured"),
        };
        StartupLog.Write(builder, $"PostgreSQL: {mode} mode ({reason}); set Postgres:Mode to Container or Local to choose.");
        if (mode == PostgresMode.Container)
        {
            // Its clients get the password in a file only the user reads, as a local server's do, not in their environment;
            // the container itself gets it in a file too (WithPasswordFile).
            var passwordFile = SecretFiles.PathOf(builder, $"{name}.pgpass");
            var container = builder.AddPostgres(name, password: password).WithDataVolume().WithSupervision().WithPasswordFile()
                .OnBeforeResourceStarted(async (server, _, cancellationToken) => SecretFiles.Write(passwordFile, PassfileLine(
                    await server.UserNameReference.GetValueAsync(cancellationToken) ?? LocalPostgresCluster.SuperUser,
                    await PasswordAsync(server.PasswordParameter, cancellationToken))));
            return builder.CreateResourceBuilder(new EstuaryPostgresResource(container.Resource, passwordFile));
        }

        var installation = PostgresInstallation.Find(configuration["BinDirectory"]);
        var dataDirectory = Path.GetFullPath(configuration["DataDirectory"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(EstuaryState.Directory(builder), "postgres", "data"));
        return Chosen(builder.AddLocalPostgres(name, new LocalPostgresCluster(installation, dataDirectory), password.Resource));
    }

    /// <summary>Adds a database to a server added by <see cref="AddEstuaryPostgres"/>.</summary>
    /// <param name="server">The server.</param>
    /// <param name="name">The resource name, also the connection string name.</param>
    /// <param name="databaseName">The database's name in the server.</param>
    /// <returns>The database: a <see cref="PostgresDatabaseResource"/> or a <see cref="LocalPostgresDatabaseResource"/>, as the server.</returns>
    /// <exception cref="ArgumentException">The server stands for neither kind of PostgreSQL server.</exception>
    public static IResourceBuilder<IResourceWithConnectionString> AddDatabase(
        this IResourceBuilder<EstuaryPostgresResource> server, [ResourceName] string name, string databaseName) => server.Resource.Server switch
        {
            PostgresServerResource container when server.Resource.PasswordFile is not null => server.ApplicationBuilder.CreateResourceBuilder(
                new EstuaryPostgresDatabaseResource(server.ApplicationBuilder.CreateResourceBuilder(container).AddDatabase(name, databaseName).Resource, server.Resource)),
            PostgresServerResource container => server.ApplicationBuilder.CreateResourceBuilder(container).AddDatabase(name, databaseName),
            LocalPostgresServerResource local => server.ApplicationBuilder.CreateResourceBuilder(local).AddDatabase(name, databaseName),
            _ => throw new ArgumentException($"Resource '{server.Resource.Name}' is not a PostgreSQL server.", nameof(server)),
        };

    /// <summary>
    /// Adds a server running <paramref name="cluster"/>. Before it starts, the password file its connection string names
    /// (<c>Passfile</c>, in <c>secrets/</c> of the state directory, readable by the user only) is written, and the cluster
    /// is made with initdb when new, or a stale <c>postmaster.pid</c> is removed; once it answers (its health check: <c>SELECT 1</c> over the Unix socket),
    /// the superuser's password is set from the parameter and the missing databases are created.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="cluster">The cluster.</param>
    /// <param name="password">The superuser's password.</param>
    /// <returns>The server.</returns>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, LocalPostgresCluster cluster, ParameterResource password)
    {
        var resource = new LocalPostgresServerResource(name, cluster, password, SecretFiles.PathOf(builder, $"{name}.pgpass"));
        var healthCheckKey = $"{name}-select-1";
        builder.Services.AddHealthChecks().AddCheck(healthCheckKey, new PostgresHealthCheck(resource.SocketConnectionString));

        return builder.AddResource(resource)
            .WithEndpoint(scheme: "tcp", name: EstuaryEndpoints.PostgresTcp)
            .WithIconName("Database")
            .WithSupervision()
            .WithArgs(context =>
            {
                foreach (var argument in cluster.ServerCommand().Arguments)
                {
                    context.Args.Add(argument);
                }

                context.Args.Add("-p");
                context.Args.Add(resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey)
            .OnBeforeResourceStarted(async (server, @event, cancellationToken) =>
            {
                var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
                SecretFiles.Write(server.PasswordFile, PassfileLine(LocalPostgresCluster.SuperUser, await PasswordAsync(server.PasswordParameter, cancellationToken)));
                if (server.Cluster.IsInitialized)
                {
                    if (server.Cluster.RemoveStaleLock() is { } pid)
                    {
                        logger.LogWarning("Removed a stale postmaster.pid (PID {Pid} is not a running postgres) left by an unclean shutdown", pid);
                    }

                    return;
                }

                logger.LogInformation("Initializing a new PostgreSQL cluster in {DataDirectory}", server.Cluster.DataDirectory);
                var output = await server.Cluster.InitializeAsync(await PasswordAsync(server.PasswordParameter, cancellationToken), cancellationToken);
                foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    logger.LogInformation("{Line}", line);
                }
            })
            .OnResourceReady(async (server, @event, cancellationToken) =>
            {
                var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
                await CreateDatabasesAsync(server, await PasswordAsync(server.PasswordParameter, cancellationToken), logger, cancellationToken);

                // The databases have no process of their own: they run once they exist.
                var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
                foreach (var database in server.Databases)
                {
                    await notifications.PublishUpdateAsync(database, snapshot => snapshot with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
                }
            });
    }

    /// <summary>Adds a database to a local server; it is created (when missing) once the server is ready, and runs from then on.</summary>
    /// <param name="server">The server.</param>
    /// <param name="name">The resource name, also the connection string name.</param>
    /// <param name="databaseName">The database's name in the cluster.</param>
    /// <returns>The database.</returns>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, [ResourceName] string name, string databaseName)
    {
        var database = new LocalPostgresDatabaseResource(name, databaseName, server.Resource);
        server.Resource.AddDatabase(database);
        return server.ApplicationBuilder.AddResource(database)
            .WithIconName("Database")
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new(CustomResourceKnownProperties.Source, server.Resource.Name)],
            });
    }

    // Aspire puts the password in the container's POSTGRES_PASSWORD, which the dashboard shows. The image's entrypoint reads
    // POSTGRES_PASSWORD_FILE instead when it is set, as the container's root, before it starts PostgreSQL as its own user
    // (the password matters only when it initialises an empty data volume; a volume keeps the password it got then). The
    // orchestrator copies the file into the container when it creates it, so no copy of the password is left on the host
    // and no bind mount depends on the host's permissions or SELinux labels. The environment callback runs after Aspire's
    // and takes the variable out; the AppHost's own clients (the health check, creating the databases) use the parameter.
    private static IResourceBuilder<PostgresServerResource> WithPasswordFile(this IResourceBuilder<PostgresServerResource> container) =>
        container
            .WithContainerFiles(ContainerSecretsDirectory, async (_, cancellationToken) =>
            [
                new ContainerFile
                {
                    Name = ContainerPasswordFileName,
                    Contents = await PasswordAsync(container.Resource.PasswordParameter, cancellationToken),
                    Owner = 0,
                    Mode = UnixFileMode.UserRead,
                },
            ])
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables.Remove(PasswordVariable);
                context.EnvironmentVariables[$"{PasswordVariable}_FILE"] = $"{ContainerSecretsDirectory}/{ContainerPasswordFileName}";
            });

    private static IResourceBuilder<EstuaryPostgresResource> Chosen(IResourceBuilder<IResourceWithConnectionString> server) =>
        server.ApplicationBuilder.CreateResourceBuilder(new EstuaryPostgresResource(server.Resource));

    private static async Task<string> PasswordAsync(ParameterResource password, CancellationToken cancellationToken) =>
        await password.GetValueAsync(cancellationToken) ?? throw new InvalidOperationException($"Parameter '{password.Name}' has no value.");

    // The password parameter may have changed since initdb: it is set again on every start.
    private static async Task CreateDatabasesAsync(LocalPostgresServerResource server, string password, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(server.SocketConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using (var alter = new NpgsqlCommand($"ALTER ROLE {Identifier(LocalPostgresCluster.SuperUser)} PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'", connection))
        {
            await alter.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var database in server.Databases.Select(d => d.DatabaseName))
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {Identifier(database)}", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
                logger.LogInformation("Created database {Database}", database);
            }
        }
    }

    // The password file holds one server's password, for any host, port and database its clients name. In a .pgpass line
    // ':' separates the fields: a password's ':' and '\' are escaped with '\'.
    private static string PassfileLine(string user, string password) =>
        $"*:*:*:{user}:{password.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(":", "\\:", StringComparison.Ordinal)}\n";

    private static string Identifier(string name) => $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
