using System.Globalization;

namespace Aspire.Hosting;

/// <summary>A process listening on a TCP port, and the Estuary AppHost it belongs to, if any.</summary>
/// <param name="ProcessId">The listening process.</param>
/// <param name="Name">Its name (<c>/proc/&lt;pid&gt;/comm</c>).</param>
/// <param name="AppHostProcessId">The Estuary AppHost that is the process or one of its ancestors, or <c>null</c>.</param>
internal sealed record PortOwner(int ProcessId, string Name, int? AppHostProcessId)
{
    private const int Listen = 0x0A;

    /// <summary>
    /// Finds who listens on a TCP port, on Linux: the socket's inode in <c>/proc/net/tcp</c> and <c>tcp6</c>, then the
    /// process holding that inode in <c>/proc/*/fd</c>. Processes of other users cannot be inspected.
    /// </summary>
    /// <param name="port">The port.</param>
    /// <param name="appHostName">The AppHost's program name (<c>Estuary.AppHost</c>), to recognise an AppHost among the ancestors.</param>
    /// <returns>The owner, or <c>null</c> when it cannot be found.</returns>
    public static PortOwner? Find(int port, string appHostName)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var inodes = ListeningInodes(port);
        if (inodes.Count == 0)
        {
            return null;
        }

        foreach (var process in ProcessDirectories())
        {
            if (HoldsAny(process, inodes) && int.TryParse(Path.GetFileName(process), CultureInfo.InvariantCulture, out var pid))
            {
                return new PortOwner(pid, Read($"{process}/comm") ?? "?", FindAppHost(pid, appHostName));
            }
        }

        return null;
    }

    // Lines: "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …", addresses as HEX_IP:HEX_PORT.
    private static HashSet<string> ListeningInodes(int port)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9
                    && int.TryParse(fields[1].AsSpan(fields[1].LastIndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var localPort)
                    && localPort == port
                    && int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var state)
                    && state == Listen)
                {
                    inodes.Add($"socket:[{fields[9]}]");
                }
            }
        }

        return inodes;
    }

    private static List<string> ProcessDirectories()
    {
        try
        {
            return Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static bool HoldsAny(string process, HashSet<string> inodes)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"{process}/fd")
                .Any(fd => new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Another user's process, or one that has just exited.
            return false;
        }
    }

    // The process itself or the nearest ancestor that runs the AppHost, i.e. has its assembly mapped: its own executable,
    // "dotnet Estuary.AppHost.dll" or a test host. Aspire's orchestrator detaches from the AppHost
    // ("dcp start-apiserver --monitor <AppHost pid> --detach"): its --monitor argument leads back to the AppHost.
    private static int? FindAppHost(int pid, string appHostName)
    {
        var seen = new HashSet<int>();
        for (var current = pid; current > 1 && seen.Add(current);)
        {
            if (ReadLines($"/proc/{current}/maps").Any(line => line.EndsWith($"/{appHostName}.dll", StringComparison.Ordinal)))
            {
                return current;
            }

            var commandLine = (Read($"/proc/{current}/cmdline") ?? string.Empty).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            var monitor = Array.IndexOf(commandLine, "--monitor");
            if (commandLine.Length > 0 && Path.GetFileName(commandLine[0]) == "dcp"
                && monitor > 0 && monitor + 1 < commandLine.Length
                && int.TryParse(commandLine[monitor + 1], CultureInfo.InvariantCulture, out var monitored))
            {
                current = monitored;
                continue;
            }

            // "/proc/<pid>/stat" is "pid (comm) state ppid …"; comm may hold spaces and parentheses.
            var stat = Read($"/proc/{current}/stat");
            var afterName = stat?.LastIndexOf(')') ?? -1;
            if (afterName < 0
                || stat![(afterName + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries) is not [_, var parent, ..]
                || !int.TryParse(parent, CultureInfo.InvariantCulture, out current))
            {
                return null;
            }
        }

        return null;
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path).TrimEnd('\n');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string[] ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
