namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A PostgreSQL server run from the machine's binaries (no container runtime): a cluster in <see cref="DataDirectory"/>,
/// listening on 127.0.0.1 at the port of its <see cref="EstuaryEndpoints.PostgresTcp"/> endpoint and on a Unix socket in
/// the data directory (trusted: only the cluster's owner can reach it).
/// </summary>
/// <param name="name">The resource name.</param>
/// <param name="command">What runs the server: <c>postgres</c>, or <c>setpriv</c> dropping root's privileges.</param>
/// <param name="installation">The binaries.</param>
/// <param name="dataDirectory">The cluster's data directory.</param>
/// <param name="password">The password of the <see cref="UserName"/> role.</param>
public sealed class LocalPostgresServerResource(
    string name, string command, LocalPostgresInstallation installation, string dataDirectory, ParameterResource password)
    : ExecutableResource(name, command, dataDirectory), IResourceWithConnectionString
{
    /// <summary>The superuser every connection string names.</summary>
    public const string UserName = "postgres";

    private readonly List<LocalPostgresDatabaseResource> _databases = [];

    /// <summary>Gets the binaries the server runs from.</summary>
    public LocalPostgresInstallation Installation { get; } = installation;

    /// <summary>Gets the cluster's data directory (also where the Unix socket is).</summary>
    public string DataDirectory { get; } = dataDirectory;

    /// <summary>Gets the password of <see cref="UserName"/>.</summary>
    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>Gets the endpoint clients connect to.</summary>
    public EndpointReference PrimaryEndpoint => new(this, EstuaryEndpoints.PostgresTcp);

    /// <summary>Gets the databases to create when the server is ready.</summary>
    public IReadOnlyList<LocalPostgresDatabaseResource> Databases => _databases;

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={PasswordParameter}");

    /// <summary>
    /// Gets a connection string over the Unix socket (no password, no pooling: a pooled idle connection would hold up
    /// shutdown). The port names the socket; it is read from the running server's <c>postmaster.pid</c> because the
    /// orchestrator picks it when it launches the process.
    /// </summary>
    /// <returns>The connection string.</returns>
    /// <exception cref="InvalidOperationException">The server is not running (no <c>postmaster.pid</c> with a port).</exception>
    public string SocketConnectionString()
    {
        var lockFile = Path.Combine(DataDirectory, "postmaster.pid");
        var lines = File.Exists(lockFile) ? File.ReadAllLines(lockFile) : [];

        // Line 4 of postmaster.pid is the port (PostgreSQL's LOCK_FILE_LINE_PORT).
        return lines.Length >= 4 && int.TryParse(lines[3], out var port)
            ? $"Host={DataDirectory};Port={port};Username={UserName};Pooling=false;Timeout=3"
            : throw new InvalidOperationException($"Resource '{Name}' is not running: no port in {lockFile}.");
    }

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

/// <summary>Where the machine's PostgreSQL server binaries are.</summary>
/// <param name="BinDirectory">The directory holding <c>postgres</c> and <c>initdb</c>.</param>
public sealed record LocalPostgresInstallation(string BinDirectory)
{
    /// <summary>Gets the server's path.</summary>
    public string Postgres => Path.Combine(BinDirectory, "postgres");

    /// <summary>Gets initdb's path.</summary>
    public string InitDb => Path.Combine(BinDirectory, "initdb");

    /// <summary>Finds the binaries: <paramref name="configured"/>, else the newest <c>/usr/lib/postgresql/*/bin</c> (Debian, Ubuntu), else PATH.</summary>
    /// <param name="configured">The directory configured as <c>Postgres:BinDirectory</c>, if any.</param>
    /// <returns>The installation, or <c>null</c> when there is none.</returns>
    public static LocalPostgresInstallation? Find(string? configured)
    {
        var candidates = configured is not null
            ? [configured]
            : (Directory.Exists("/usr/lib/postgresql")
                    ? Directory.GetDirectories("/usr/lib/postgresql")
                        .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var major) ? major : 0)
                        .Select(d => Path.Combine(d, "bin"))
                    : [])
                .Concat((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));

        return candidates
            .Select(directory => new LocalPostgresInstallation(directory))
            .FirstOrDefault(i => File.Exists(i.Postgres) && File.Exists(i.InitDb));
    }
}
