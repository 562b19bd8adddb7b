using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Estuary.Hosting.Postgres;

/// <summary>
/// A PostgreSQL cluster (a data directory) run by the machine's binaries. The server listens on 127.0.0.1 and on a
/// Unix socket in the data directory; the superuser is <see cref="SuperUser"/>. PostgreSQL refuses to run as root, so
/// when this process is root every server binary runs as the <see cref="OsUser"/> system user (through
/// <c>setpriv</c>) and the data directory belongs to that user.
/// </summary>
/// <param name="installation">The binaries.</param>
/// <param name="dataDirectory">The data directory (absolute; created by <see cref="InitializeAsync"/>).</param>
public sealed class LocalPostgresCluster(PostgresInstallation installation, string dataDirectory)
{
    /// <summary>The superuser role initdb creates.</summary>
    public const string SuperUser = "postgres";

    /// <summary>The system user the server runs as when this process is root.</summary>
    public const string OsUser = "postgres";

    private const string SetPriv = "setpriv";

    // The line the server logs once it accepts connections (initdb's C locale keeps its messages in English).
    private const string ReadyLine = "database system is ready to accept connections";

    private readonly ConcurrentQueue<string> _serverLog = new();
    private Process? _server;

    /// <summary>Gets a value indicating whether server binaries run as <see cref="OsUser"/> (this process is root).</summary>
    public static bool DropsPrivileges => Environment.IsPrivilegedProcess;

    /// <summary>Gets the binaries.</summary>
    public PostgresInstallation Installation { get; } = installation;

    /// <summary>Gets the data directory, which also holds the server's Unix socket.</summary>
    public string DataDirectory { get; } = dataDirectory;

    /// <summary>Gets a value indicating whether initdb has made the cluster.</summary>
    public bool IsInitialized => File.Exists(Path.Combine(DataDirectory, "PG_VERSION"));

    /// <summary>
    /// Creates the cluster with initdb: UTF-8, C locale, superuser <see cref="SuperUser"/> trusted on the Unix socket
    /// (only the cluster's owner can reach it); over TCP with <paramref name="password"/> (SCRAM) when one is given, else
    /// trusted too. A development cluster: initdb does not fsync. A failed initdb leaves no data directory behind.
    /// </summary>
    /// <param name="password">The superuser's password, or <see langword="null"/> to trust every local connection.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>What initdb printed.</returns>
    /// <exception cref="InvalidOperationException">initdb failed; the message holds its output.</exception>
    public async Task<string> InitializeAsync(string? password, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(DataDirectory);

        // Beside the data directory: initdb wants that one empty.
        var passwordFile = password is null ? null : Path.Combine(Path.GetDirectoryName(DataDirectory)!, $".initdb-{Guid.NewGuid():N}");
        List<string> arguments =
        [
            "-D", DataDirectory, "-U", SuperUser, "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions", "--auth-local=trust",
        ];
        try
        {
            if (passwordFile is not null)
            {
                await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                arguments.AddRange(["--auth-host=scram-sha-256", $"--pwfile={passwordFile}"]);
            }
            else
            {
                arguments.Add("--auth-host=trust");
            }

            if (DropsPrivileges)
            {
                await RunAsync(StartInfo("chown", [$"{OsUser}:{OsUser}", DataDirectory, .. passwordFile is null ? Array.Empty<string>() : [passwordFile]], asOsUser: false), cancellationToken);
            }

            return await RunAsync(StartInfo(Installation.InitDb, arguments, asOsUser: true), cancellationToken);
        }
        catch
        {
            // A half-made cluster would be taken for a good one next time.
            Directory.Delete(DataDirectory, recursive: true);
            throw;
        }
        finally
        {
            if (passwordFile is not null)
            {
                File.Delete(passwordFile);
            }
        }
    }

    /// <summary>
    /// Removes a <c>postmaster.pid</c> left by a server that is gone. PostgreSQL removes such a lock by itself, except when
    /// its PID now belongs to another process, which is common after a kill or a crash of the whole machine.
    /// </summary>
    /// <returns>The PID the removed lock named, or <see langword="null"/> when there was none or its server runs.</returns>
    public string? RemoveStaleLock()
    {
        var lockFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(lockFile))
        {
            return null;
        }

        var pid = File.ReadLines(lockFile).FirstOrDefault();
        if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && IsPostgres(id))
        {
            // A live server owns the directory: postgres refuses to start and says so.
            return null;
        }

        File.Delete(lockFile);
        return pid;
    }

    /// <summary>Reads the port of the running server from its <c>postmaster.pid</c> (for a server someone else started with a port of their choosing).</summary>
    /// <returns>The port, or <see langword="null"/> when no server has written one.</returns>
    public int? ReadPort()
    {
        var lockFile = Path.Combine(DataDirectory, "postmaster.pid");
        try
        {
            // Line 4 is the port (PostgreSQL's LOCK_FILE_LINE_PORT).
            var line = File.ReadLines(lockFile).Skip(3).FirstOrDefault();
            return int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Gets the command that runs the server in the foreground on this cluster: the program and its arguments, to which
    /// the caller appends <c>-p PORT</c>. When this process is root the program is <c>setpriv</c>, which becomes the
    /// server (same process) as <see cref="OsUser"/>.
    /// </summary>
    /// <param name="settings">Server settings as <c>name=value</c> (each passed with <c>-c</c>).</param>
    /// <returns>The program and its arguments.</returns>
    public (string FileName, IReadOnlyList<string> Arguments) ServerCommand(params IEnumerable<string> settings)
    {
        var start = StartInfo(
            Installation.Postgres,
            ["-D", DataDirectory, "-h", "127.0.0.1", "-k", DataDirectory, .. settings.SelectMany(s => new[] { "-c", s })],
            asOsUser: true);
        return (start.FileName, start.ArgumentList.ToList());
    }

    /// <summary>Starts the server (<see cref="ServerCommand"/>) as a child process and returns once it accepts connections.</summary>
    /// <param name="port">The TCP port (which also names the Unix socket).</param>
    /// <param name="settings">Server settings as <c>name=value</c>.</param>
    /// <param name="cancellationToken">Cancels the wait (the server is then stopped).</param>
    /// <returns>A task that completes when the server is ready.</returns>
    /// <exception cref="InvalidOperationException">The server is already started, or exited before it was ready; the message holds its log.</exception>
    public async Task StartAsync(int port, IEnumerable<string> settings, CancellationToken cancellationToken = default)
    {
        if (_server is not null)
        {
            throw new InvalidOperationException($"The server of {DataDirectory} is already started.");
        }

        var (fileName, arguments) = ServerCommand(settings);
        var start = new ProcessStartInfo(fileName, [.. arguments, "-p", port.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = new Process { StartInfo = start, EnableRaisingEvents = true };

        // The log is drained (a full pipe would block the server) and kept for a failure message.
        void Log(string? line)
        {
            if (line is null)
            {
                return;
            }

            _serverLog.Enqueue(line);
            if (line.Contains(ReadyLine, StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        server.OutputDataReceived += (_, e) => Log(e.Data);
        server.ErrorDataReceived += (_, e) => Log(e.Data);
        server.Exited += (_, _) => ready.TrySetException(new InvalidOperationException(
            $"postgres exited with code {server.ExitCode} before accepting connections:{Environment.NewLine}{string.Join(Environment.NewLine, _serverLog)}"));
        server.Start();
        _server = server;
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(cancellationToken);
        }
        catch
        {
            await StopAsync();
            throw;
        }
    }

    /// <summary>Stops the server started by <see cref="StartAsync"/> (fast shutdown: open sessions are ended) and waits for it to exit.</summary>
    /// <returns>A task that completes when the server has exited; at once when it is not running.</returns>
    public async Task StopAsync()
    {
        if (_server is not { } server)
        {
            return;
        }

        _server = null;
        using (server)
        {
            if (!server.HasExited)
            {
                // SIGINT is PostgreSQL's fast shutdown; the server may run as another user, so pg_ctl (as that user) sends it.
                await RunAsync(StartInfo(Installation.PgCtl, ["stop", "-D", DataDirectory, "-m", "fast", "-w"], asOsUser: true), CancellationToken.None);
                await server.WaitForExitAsync();
            }
        }
    }

    private static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, bool asOsUser)
    {
        var start = new ProcessStartInfo(asOsUser && DropsPrivileges ? SetPriv : fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (asOsUser && DropsPrivileges)
        {
            foreach (var argument in new[] { $"--reuid={OsUser}", $"--regid={OsUser}", "--init-groups", fileName })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static async Task<string> RunAsync(ProcessStartInfo start, CancellationToken cancellationToken)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{start.FileName}'.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var printed = await output + await error;
        if (process.ExitCode != 0)
        {
            var command = string.Join(' ', start.ArgumentList.Where(a => !a.StartsWith("--pwfile", StringComparison.Ordinal)).Prepend(Path.GetFileName(start.FileName)));
            throw new InvalidOperationException($"'{command}' exited with code {process.ExitCode}: {printed.Trim()}");
        }

        return printed;
    }

    private static bool IsPostgres(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() is "postgres" or "postmaster";
        }
        catch (IOException)
        {
            return false;
        }
    }
}
