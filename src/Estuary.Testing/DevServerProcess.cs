using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Estuary.Testing;

/// <summary>
/// The built <c>Estuary.DevServer</c> executable as a child process (<c>server start-dev</c> on a free port), as the
/// AppHost runs it: a worker never shares its process, its heap or its garbage collections with Temporal's server, and
/// the server's CPU time is read apart from the caller's (<see cref="CpuTime"/>). The executable is the one built
/// with this assembly's configuration (Debug or Release), next to the DevServer project.
/// </summary>
public sealed class DevServerProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly Process _process;

    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DevServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Address = $"127.0.0.1:{port}";
    }

    /// <summary>Gets the path of the DevServer executable this class starts.</summary>
    public static string ExecutablePath { get; } = typeof(DevServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "DevServerExecutable").Value!;

    /// <summary>Gets the server's gRPC address, <c>127.0.0.1:port</c>.</summary>
    public string Address { get; }

    /// <summary>Gets the server's gRPC port.</summary>
    public int Port { get; }

    /// <summary>Gets the server's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Gets the server's own account of loading its database file (at log level info), or null.</summary>
    public string? LoadedLine { get; private set; }

    /// <summary>Gets a task that completes when the server prints that it listens (its state, if any, is loaded by
    /// then), and fails if the process exits before that.</summary>
    public Task Listening => _listening.Task;

    /// <summary>Starts <c>server start-dev</c> headless and in memory on a free port and waits until it listens.</summary>
    /// <param name="arguments">More arguments of <c>server start-dev</c>, when given.</param>
    /// <returns>The listening server.</returns>
    /// <exception cref="InvalidOperationException">The executable is not built, or the server exited or did not listen in time.</exception>
    public static async Task<DevServerProcess> StartAsync(params string[] arguments)
    {
        var server = Start(FreePort(), "warn", ["--headless", .. arguments]);
        try
        {
            await server.Listening.WaitAsync(StartTimeout);
            return server;
        }
        catch (TimeoutException)
        {
            server.Dispose();
            throw new InvalidOperationException($"{ExecutablePath} did not print that it listens within {StartTimeout.TotalSeconds:0} s.");
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Starts <c>server start-dev</c> headless on a free port, without waiting (see <see cref="Listening"/>).</summary>
    /// <returns>The started process.</returns>
    public static DevServerProcess Start() => Start("--headless");

    /// <summary>Starts <c>server start-dev</c> on a free port with <paramref name="arguments"/> added, without waiting
    /// (see <see cref="Listening"/>).</summary>
    /// <param name="arguments">Arguments of <c>server start-dev</c> (without <c>--headless</c> it serves its web UI).</param>
    /// <returns>The started process.</returns>
    public static DevServerProcess Start(params string[] arguments) => Start(FreePort(), "warn", arguments);

    /// <summary>Starts the server headless on a free port (or <paramref name="port"/>), with its state in
    /// <paramref name="database"/>, without waiting (see <see cref="Listening"/>).</summary>
    /// <param name="database">The database file (<c>--db-filename</c>).</param>
    /// <param name="port">The port, or null for a free one.</param>
    /// <param name="logLevel">The server's log level (<c>info</c> prints its account of loading the file).</param>
    /// <returns>The started process.</returns>
    public static DevServerProcess StartWithDatabase(string database, int? port = null, string logLevel = "warn") =>
        Start(port ?? FreePort(), logLevel, ["--headless", "--db-filename", database]);

    private static DevServerProcess Start(int port, string logLevel, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(ExecutablePath)
        {
            ArgumentList = { "server", "start-dev", "--port", port.ToString(CultureInfo.InvariantCulture), "--log-level", logLevel },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {ExecutablePath}.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start {ExecutablePath} ({e.Message}): build src/Estuary.DevServer in the same configuration first.", e);
        }

        var server = new DevServerProcess(process, port);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data?.StartsWith("Temporal dev server listening", StringComparison.Ordinal) == true)
            {
                server._listening.TrySetResult();
            }
            else if (line.Data?.Contains("Loaded ", StringComparison.Ordinal) == true)
            {
                server.LoadedLine = line.Data[line.Data.IndexOf("Loaded ", StringComparison.Ordinal)..];
            }
        };
        // What the server says on standard error is why it stopped: kept for that message, off the caller's own streams.
        var errors = new Queue<string>();
        process.ErrorDataReceived += (_, line) =>
        {
            lock (errors)
            {
                if (line.Data is { Length: > 0 } text)
                {
                    errors.Enqueue(text);
                    if (errors.Count > 10)
                    {
                        errors.Dequeue();
                    }
                }
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            if (server._listening.Task.IsCompleted)
            {
                return;
            }

            // Waits for the end of both streams, so every line the server wrote is read.
            process.WaitForExit();
            string said;
            lock (errors)
            {
                said = errors.Count > 0 ? $": {string.Join(" / ", errors)}" : string.Empty;
            }

            server._listening.TrySetException(new InvalidOperationException(
                $"{ExecutablePath} exited with code {process.ExitCode} before listening on port {port}{said}"));
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Gets the resident memory of the server process (VmRSS), in bytes.</summary>
    /// <returns>The bytes.</returns>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Stops the server as SIGTERM does (a clean stop), or kills it (SIGKILL).</summary>
    /// <param name="kill">Whether to kill it.</param>
    public void Stop(bool kill)
    {
        if (kill)
        {
            _process.Kill();
        }
        else
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]).WaitForExit();
        }

        _process.WaitForExit();
    }

    /// <summary>Gets the user + system CPU time of the server process so far (Linux's /proc, in 10 ms ticks).</summary>
    /// <returns>The CPU time.</returns>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");

        // Fields after the command name (which may contain spaces) start after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>Gets a port nothing listens on now.</summary>
    /// <returns>The port.</returns>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Kills the server if it still runs.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        // Also raises Exited, if it has not run yet, before the process object goes.
        _process.WaitForExit();
        _process.Dispose();
    }
}
