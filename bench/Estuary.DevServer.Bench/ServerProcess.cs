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

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Address = $"127.0.0.1:{port}";
    }

    public string Address { get; }

    /// <summary>Starts <c>server start-dev</c> headless on a free port.</summary>
    public static ServerProcess Start() => Start("--headless");

    /// <summary>Starts <c>server start-dev</c> on a free port with <paramref name="arguments"/> added.</summary>
    public static ServerProcess Start(params string[] arguments)
    {
        var path = typeof(ServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "DevServerExecutable").Value!;
        var port = FreePort();
        var info = new ProcessStartInfo(path)
        {
            ArgumentList = { "server", "start-dev", "--port", port.ToString(CultureInfo.InvariantCulture), "--log-level", "warn" },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {path}.");
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return new ServerProcess(process, port);
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
