namespace Estuary.Hosting.Postgres;

/// <summary>The machine's PostgreSQL server binaries.</summary>
/// <param name="BinDirectory">The directory holding <c>postgres</c>, <c>initdb</c> and <c>pg_ctl</c>.</param>
public sealed record PostgresInstallation(string BinDirectory)
{
    /// <summary>The command that installs the binaries on Debian and Ubuntu.</summary>
    public const string InstallCommand = "apt-get install -y postgresql";

    /// <summary>Gets the server's path.</summary>
    public string Postgres => Path.Combine(BinDirectory, "postgres");

    /// <summary>Gets initdb's path.</summary>
    public string InitDb => Path.Combine(BinDirectory, "initdb");

    /// <summary>Gets pg_ctl's path.</summary>
    public string PgCtl => Path.Combine(BinDirectory, "pg_ctl");

    /// <summary>
    /// Finds the binaries: in <paramref name="binDirectory"/> when given, else in the newest
    /// <c>/usr/lib/postgresql/*/bin</c> (Debian, Ubuntu), else on PATH.
    /// </summary>
    /// <param name="binDirectory">A directory chosen by the user, if any; it is then the only one looked at.</param>
    /// <returns>The installation.</returns>
    /// <exception cref="PostgresNotInstalledException">No directory holds the binaries, or the process runs as root and
    /// the <c>postgres</c> system user (which the server runs as) does not exist.</exception>
    public static PostgresInstallation Find(string? binDirectory = null)
    {
        var candidates = binDirectory is { Length: > 0 }
            ? [binDirectory]
            : NewestFirst("/usr/lib/postgresql").Concat(
                (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        var installation = candidates
            .Select(directory => new PostgresInstallation(directory))
            .FirstOrDefault(i => File.Exists(i.Postgres) && File.Exists(i.InitDb) && File.Exists(i.PgCtl))
            ?? throw new PostgresNotInstalledException(
                $"PostgreSQL server binaries not found (postgres, initdb and pg_ctl in {(binDirectory is { Length: > 0 } ? binDirectory : "/usr/lib/postgresql/*/bin or PATH")}): install them with '{InstallCommand}'.");

        if (LocalPostgresCluster.DropsPrivileges && !SystemUserExists(LocalPostgresCluster.OsUser))
        {
            throw new PostgresNotInstalledException(
                $"Running as root, the PostgreSQL server runs as the '{LocalPostgresCluster.OsUser}' system user, which does not exist: '{InstallCommand}' creates it.");
        }

        return installation;
    }

    private static IEnumerable<string> NewestFirst(string root) =>
        Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var major) ? major : 0)
                .Select(d => Path.Combine(d, "bin"))
            : [];

    private static bool SystemUserExists(string name) =>
        File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(l => l.StartsWith($"{name}:", StringComparison.Ordinal));
}
