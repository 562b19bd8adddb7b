using Estuary.Hosting.Postgres;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A PostgreSQL server run from the machine's binaries (no container runtime): the <see cref="LocalPostgresCluster"/>'s
/// server, listening on 127.0.0.1 at the port of its <see cref="EstuaryEndpoints.PostgresTcp"/> endpoint and on a Unix
/// socket in the data directory (trusted: only the cluster's owner can reach it).
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="cluster">The cluster the server runs.</param>
/// <param name="password">The password of the <see cref="LocalPostgresCluster.SuperUser"/> role.</param>
/// <param name="passwordFile">The password file (PostgreSQL's <c>.pgpass</c> format) the connection string names, so that the
/// password is never in a client's environment or arguments; written before the server starts.</param>
public sealed class LocalPostgresServerResource(string name, LocalPostgresCluster cluster, ParameterResource password, string passwordFile)
    : ExecutableResource(name, cluster.ServerCommand().FileName, cluster.DataDirectory), IResourceWithConnectionString
{
    private readonly List<LocalPostgresDatabaseResource> _databases = [];

    /// <summary>Gets the cluster the server runs.</summary>
    public LocalPostgresCluster Cluster { get; } = cluster;

    /// <summary>Gets the password of <see cref="LocalPostgresCluster.SuperUser"/>.</summary>
    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>Gets the password file (<c>.pgpass</c> format) that clients read the password from (<c>Passfile</c> of the connection string).</summary>
    public string PasswordFile { get; } = passwordFile;

    /// <summary>Gets the endpoint clients connect to.</summary>
    public EndpointReference PrimaryEndpoint => new(this, EstuaryEndpoints.PostgresTcp);

    /// <summary>Gets the databases to create when the server is ready.</summary>
    public IReadOnlyList<LocalPostgresDatabaseResource> Databases => _databases;

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={LocalPostgresCluster.SuperUser};Passfile={PasswordFile}");

    /// <summary>
    /// Gets a connection string over the Unix socket: no password, no pooling (an idle pooled connection would hold up
    /// the server's smart shutdown). The socket is named after the port the server listens on, which the orchestrator
    /// picks when it starts the process: it is read from the running server's <c>postmaster.pid</c>.
    /// </summary>
    /// <returns>The connection string.</returns>
    /// <exception cref="InvalidOperationException">The server has not written its port yet.</exception>
    public string SocketConnectionString() =>
        Cluster.ReadPort() is { } port
            ? $"Host={Cluster.DataDirectory};Port={port};Username={LocalPostgresCluster.SuperUser};Pooling=false;Timeout=3"
            : throw new InvalidOperationException($"Resource '{Name}' is not running: no port in {Cluster.DataDirectory}/postmaster.pid.");

    /// <summary>Declares a database.</summary>
    /// <param name="database">The database.</param>
    public void AddDatabase(LocalPostgresDatabaseResource database) => _databases.Add(database);
}

/// <summary>One database of a <see cref="LocalPostgresServerResource"/>, created when the server is ready.</summary>
/// <param name="name">The resource name, also the connection string name.</param>
/// <param name="databaseName">The database's name in the cluster.</param>
/// <param name="parent">The server.</param>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    /// <summary>Gets the database's name in the cluster.</summary>
    public string DatabaseName { get; } = databaseName;

    /// <inheritdoc />
    public LocalPostgresServerResource Parent { get; } = parent;

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

/// <summary>
/// The application's PostgreSQL server, as <see cref="PostgresHostingExtensions.AddEstuaryPostgres"/> chose it: its
/// <see cref="ResourceSurrogate.Server"/> is Aspire's <see cref="PostgresServerResource"/> (a container) or a
/// <see cref="LocalPostgresServerResource"/>. Its databases are added with
/// <see cref="PostgresHostingExtensions.AddDatabase(IResourceBuilder{EstuaryPostgresResource}, string, string)"/>.
/// </summary>
/// <param name="server">The resource in the model.</param>
public sealed class EstuaryPostgresResource(IResourceWithConnectionString server) : ResourceSurrogate(server);
