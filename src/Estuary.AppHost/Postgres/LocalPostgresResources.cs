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
/// <param name="passwordFile">For Aspire's container in a local run: the password file (<c>.pgpass</c> format) its clients'
/// connection string names instead of the password, which would show in the dashboard's environment view.</param>
public sealed class EstuaryPostgresResource(IResourceWithConnectionString server, string? passwordFile = null) : ResourceSurrogate(server)
{
    /// <summary>Gets the password file the connection string names, when it is the container's (a local server names its own).</summary>
    public string? PasswordFile { get; } = passwordFile;

    /// <inheritdoc />
    public override ReferenceExpression ConnectionStringExpression =>
        Server is PostgresServerResource container && PasswordFile is not null
            ? ReferenceExpression.Create(
                $"Host={container.PrimaryEndpoint.Property(EndpointProperty.Host)};Port={container.PrimaryEndpoint.Property(EndpointProperty.Port)};Username={container.UserNameReference};Passfile={PasswordFile}")
            : base.ConnectionStringExpression;

    /// <inheritdoc />
    public override ValueTask<string?> GetConnectionStringAsync(CancellationToken cancellationToken = default) =>
        PasswordFile is null ? base.GetConnectionStringAsync(cancellationToken) : ConnectionStringExpression.GetValueAsync(cancellationToken);

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, ReferenceExpression>> GetConnectionProperties() =>
        PasswordFile is null ? base.GetConnectionProperties() : WithoutPassword(base.GetConnectionProperties());

    // Aspire passes a referenced resource's connection properties as variables too (<NAME>_PASSWORD, <NAME>_URI): those
    // that hold the password are left out.
    internal static IEnumerable<KeyValuePair<string, ReferenceExpression>> WithoutPassword(IEnumerable<KeyValuePair<string, ReferenceExpression>> properties) =>
        properties.Where(p => p.Key is not ("Password" or "Uri"));
}

/// <summary>
/// A database of Aspire's PostgreSQL container whose clients read the password from the server's password file
/// (<see cref="EstuaryPostgresResource.PasswordFile"/>): it stands for the <see cref="PostgresDatabaseResource"/> as
/// <see cref="ResourceSurrogate"/> says, with that connection string.
/// </summary>
/// <param name="database">The database in the model.</param>
/// <param name="server">The server, with its password file.</param>
public sealed class EstuaryPostgresDatabaseResource(PostgresDatabaseResource database, EstuaryPostgresResource server)
    : ResourceSurrogate(database), IResourceWithParent<PostgresServerResource>
{
    /// <summary>Gets the server, which waiting for the database waits for too.</summary>
    public PostgresServerResource Parent => database.Parent;

    /// <inheritdoc />
    public override ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{server.ConnectionStringExpression};Database={database.DatabaseName}");

    /// <inheritdoc />
    public override ValueTask<string?> GetConnectionStringAsync(CancellationToken cancellationToken = default) =>
        ConnectionStringExpression.GetValueAsync(cancellationToken);

    /// <inheritdoc />
    public override IEnumerable<KeyValuePair<string, ReferenceExpression>> GetConnectionProperties() =>
        EstuaryPostgresResource.WithoutPassword(base.GetConnectionProperties());
}
