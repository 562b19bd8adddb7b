using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Aspire.Hosting;

/// <summary>The life cycle of a <see cref="LocalPostgresServerResource"/>'s cluster: initdb on first run, stale lock removal, password and databases.</summary>
internal static class LocalPostgresCluster
{
    /// <summary>The OS user a root AppHost runs PostgreSQL as (postgres refuses to run as root).</summary>
    public const string OsUser = "postgres";

    /// <summary>Gets a value indicating whether the server must drop root's privileges.</summary>
    public static bool DropsPrivileges => Environment.IsPrivilegedProcess;

    /// <summary>Gets the program that starts a server binary as <see cref="OsUser"/> when running as root.</summary>
    public const string SetPriv = "setpriv";

    /// <summary>Gets the arguments that make <see cref="SetPriv"/> run a program as <see cref="OsUser"/>.</summary>
    public static string[] SetPrivArgs => [$"--reuid={OsUser}", $"--regid={OsUser}", "--init-groups"];

    /// <summary>Makes the cluster ready to start: initdb when the data directory is new, and a stale <c>postmaster.pid</c> removed.</summary>
    /// <param name="server">The server.</param>
    /// <param name="password">The superuser's password.</param>
    /// <param name="logger">The resource's logger.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    public static async Task PrepareDataDirectoryAsync(LocalPostgresServerResource server, string password, ILogger logger, CancellationToken cancellationToken)
    {
        var data = server.DataDirectory;
        if (File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            RemoveStaleLock(data, logger);
            return;
        }

        var parent = Path.GetDirectoryName(data)!;
        Directory.CreateDirectory(parent);
        var passwordFile = Path.Combine(parent, $".initdb-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        try
        {
            Directory.CreateDirectory(data);
            if (DropsPrivileges)
            {
                await RunAsync("chown", [$"{OsUser}:{OsUser}", data, passwordFile], logger, cancellationToken);
            }

            logger.LogInformation("Initializing a new PostgreSQL cluster in {DataDirectory}", data);
            string[] initdb =
            [
                server.Installation.InitDb, "-D", data, "-U", LocalPostgresServerResource.UserName, "-E", "UTF8", "--locale=C",
                "--auth-local=trust", "--auth-host=scram-sha-256", $"--pwfile={passwordFile}", "--no-instructions",
                // A development cluster: skipping initdb's fsync saves seconds; only an OS crash right after it could hurt.
                "--no-sync",
            ];
            await (DropsPrivileges
                ? RunAsync(SetPriv, [.. SetPrivArgs, .. initdb], logger, cancellationToken)
                : RunAsync(initdb[0], initdb[1..], logger, cancellationToken));
        }
        catch
        {
            // A half-made cluster would be taken for a good one next time.
            Directory.Delete(data, recursive: true);
            throw;
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>Sets the superuser's password (the parameter may have changed since initdb) and creates the missing databases.</summary>
    /// <param name="server">The server, ready.</param>
    /// <param name="password">The superuser's password.</param>
    /// <param name="logger">The resource's logger.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    public static async Task CreateDatabasesAsync(LocalPostgresServerResource server, string password, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(server.SocketConnectionString());
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, $"ALTER ROLE {Identifier(LocalPostgresServerResource.UserName)} PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'", cancellationToken);

        foreach (var database in server.Databases.Select(d => d.DatabaseName))
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await ExecuteAsync(connection, $"CREATE DATABASE {Identifier(database)}", cancellationToken);
                logger.LogInformation("Created database {Database}", database);
            }
        }
    }

    // postgres removes a lock whose PID is gone by itself, but not one whose PID was reused by another process: after
    // a kill -9 or a crashed host the PID often belongs to something else, so the check is done here.
    private static void RemoveStaleLock(string data, ILogger logger)
    {
        var lockFile = Path.Combine(data, "postmaster.pid");
        if (!File.Exists(lockFile))
        {
            return;
        }

        var firstLine = File.ReadLines(lockFile).FirstOrDefault();
        if (int.TryParse(firstLine, out var pid) && IsPostgres(pid))
        {
            // A live server owns the directory (another AppHost of this checkout): postgres itself refuses and says so.
            return;
        }

        File.Delete(lockFile);
        logger.LogWarning("Removed a stale postmaster.pid (PID {Pid} is not a running postgres) left by an unclean shutdown", firstLine);
    }

    private static bool IsPostgres(int pid)
    {
        var comm = $"/proc/{pid}/comm";
        try
        {
            return File.Exists(comm) && File.ReadAllText(comm).Trim() is "postgres" or "postmaster";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Identifier(string name) => $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static async Task RunAsync(string fileName, string[] arguments, ILogger logger, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{fileName}'.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        foreach (var line in (await output + await error).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            logger.LogInformation("{Line}", line);
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{Path.GetFileName(fileName)} {string.Join(' ', arguments.Where(a => !a.StartsWith("--pwfile", StringComparison.Ordinal)))}' exited with code {process.ExitCode}.");
        }
    }
}
