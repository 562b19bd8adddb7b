using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Estuary.Testing;

/// <summary>
/// A real PostgreSQL server started from the machine's binaries (Debian's <c>postgresql</c> package) in a temporary
/// data directory, on a free port of 127.0.0.1, without durability (fsync off): for tests and benchmarks. Each user
/// takes fresh databases from <see cref="CreateDatabaseAsync"/>; <see cref="DisposeAsync"/> stops the server and
/// deletes its data.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private const string MissingBinaries = "PostgreSQL server binaries not found; install them with: apt-get install -y postgresql";
    private const string SystemUser = "postgres";

    private string _binDirectory = string.Empty;
    private string _dataDirectory = string.Empty;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _serverLog = new();
    private Process? _server;

    /// <summary>Gets the port the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Creates the data directory and starts the server; returns once it accepts connections.</summary>
    /// <returns>A task that completes when the server is ready.</returns>
    /// <exception cref="InvalidOperationException">The binaries are missing or the server does not start.</exception>
    public async Task StartAsync()
    {
        _binDirectory = FindBinDirectory() ?? throw new InvalidOperationException(MissingBinaries);
        if (Environment.IsPrivilegedProcess && !File.ReadLines("/etc/passwd").Any(l => l.StartsWith($"{SystemUser}:", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"Running as root, the PostgreSQL server needs the '{SystemUser}' system user, which the Debian package creates: {MissingBinaries}");
        }

        _dataDirectory = Directory.CreateTempSubdirectory("estuary-pg-").FullName;
        if (Environment.IsPrivilegedProcess)
        {
            // postgres refuses to run as root: the data directory must belong to the postgres system user.
            await RunAsync("chown", [$"{SystemUser}:{SystemUser}", _dataDirectory], asPostgres: false);
        }

        await RunAsync(Path.Combine(_binDirectory, "initdb"), ["-D", _dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], asPostgres: true);

        Port = FreePort();
        _server = Start(Path.Combine(_binDirectory, "postgres"),
            ["-D", _dataDirectory, "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _dataDirectory,
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        await WaitUntilAcceptingConnectionsAsync();
    }

    /// <summary>Creates an empty database with a unique name.</summary>
    /// <param name="prefix">A readable prefix, e.g. a test class name.</param>
    /// <returns>Its connection string (no connection pooling, so the server can stop at once at the end).</returns>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix.ToLowerInvariant()}_{Guid.NewGuid():N}";
        name = name[..Math.Min(name.Length, 63)];
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return ConnectionString(name);
    }

    /// <summary>Turns connection pooling on, as a deployed worker has it: a worker opening a new PostgreSQL connection
    /// (a server process started for it) for each activity spends most of its time there.</summary>
    /// <param name="connectionString">A connection string of <see cref="CreateDatabaseAsync"/>.</param>
    /// <returns>The same database, pooled.</returns>
    public static string Pooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true }.ConnectionString;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_server is { HasExited: false })
        {
            await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["stop", "-D", _dataDirectory, "-m", "fast", "-w"], asPostgres: true);
            if (!_server.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                _server.Kill(entireProcessTree: true);
            }
        }

        _server?.Dispose();
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            Pooling = false,
        }.ConnectionString;

    private static string? FindBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var version) ? version : 0)
            .FirstOrDefault();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, bool asPostgres)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres && Environment.IsPrivilegedProcess)
        {
            info.FileName = "setpriv";
            foreach (var argument in new[] { $"--reuid={SystemUser}", $"--regid={SystemUser}", "--init-groups", fileName })
            {
                info.ArgumentList.Add(argument);
            }
        }
        else
        {
            info.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private static async Task RunAsync(string fileName, IEnumerable<string> arguments, bool asPostgres)
    {
        using var process = Process.Start(StartInfo(fileName, arguments, asPostgres))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{fileName}' exited with code {process.ExitCode}: {await error}{await output}");
        }
    }

    private Process Start(string fileName, IEnumerable<string> arguments)
    {
        var process = Process.Start(StartInfo(fileName, arguments, asPostgres: true))!;

        // Drain the server's log so it never blocks on a full pipe, and keep it for a start-up failure message.
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _serverLog.Enqueue(line);
        }
    }

    private async Task WaitUntilAcceptingConnectionsAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_server!.HasExited)
            {
                throw new InvalidOperationException(
                    $"postgres exited with code {_server.ExitCode} before accepting connections: {string.Join(Environment.NewLine, _serverLog)}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
