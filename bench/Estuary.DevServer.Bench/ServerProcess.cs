using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Estuary.DevServer.Bench;

/// <summary>The DevServer executable as a child process, with its CPU time read from /proc.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Address = $"127.0.0.1:{port}";
    }

    public string Address { get; }

    public int Port { get; }

    /// <summary>The server's own account of loading its database file (at log level info), or null.</summary>
    public string? LoadedLine { get; private set; }

    /// <summary>Completes when the server prints that it listens (its state, if any, is loaded by then).</summary>
    public Task Listening => _listening.Task;

    /// <summary>Starts <c>server start-dev</c> headless on a free port.</summary>
    public static ServerProcess Start() => Start("--headless");

    /// <summary>Starts <c>server start-dev</c> on a free port with <paramref name="arguments"/> added.</summary>
    public static ServerProcess Start(params string[] arguments) => Start(FreePort(), "warn", arguments);

    /// <summary>Starts the server headless on a free port (or <paramref name="port"/>), with its state in <paramref name="database"/>.</summary>
    public static ServerProcess StartWithDatabase(string database, int? port = null, string logLevel = "warn") =>
        Start(port ?? FreePort(), logLevel, ["--headless", "--db-filename", database]);

    private static ServerProcess Start(int port, string logLevel, IEnumerable<string> arguments)
    {
        var path = typeof(ServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "DevServerExecutable").Value!;
        var info = new ProcessStartInfo(path)
        {
            ArgumentList = { "server", "start-dev", "--port", port.ToString(CultureInfo.InvariantCulture), "--log-level", logLevel },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {path}.");
        var server = new ServerProcess(process, port);
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
        process.BeginOutputReadLine();
        return server;
    }

    /// <summary>Resident memory of the server process (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Stops the server as SIGTERM does (a clean stop), or kills it (SIGKILL).</summary>
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

    /// <summary>User + system CPU time of the server process so far.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        // Fields after the command name (which may contain spaces) start after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>A port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
