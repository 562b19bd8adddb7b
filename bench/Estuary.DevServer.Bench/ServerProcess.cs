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

    /// <summary>Starts the server on a free port (or <paramref name="port"/>), on <paramref name="database"/> if given.</summary>
    public static ServerProcess Start(string? database = null, int? port = null, string logLevel = "warn")
    {
        var path = typeof(ServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "DevServerExecutable").Value!;
        var chosen = port ?? FreePort();
        var info = new ProcessStartInfo(path)
        {
            ArgumentList = { "server", "start-dev", "--port", chosen.ToString(CultureInfo.InvariantCulture), "--headless", "--log-level", logLevel },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (database is not null)
        {
            info.ArgumentList.Add("--db-filename");
            info.ArgumentList.Add(database);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {path}.");
        var server = new ServerProcess(process, chosen);
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
