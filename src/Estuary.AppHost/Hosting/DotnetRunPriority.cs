using System.Globalization;
using System.Runtime.InteropServices;

namespace Aspire.Hosting;

/// <summary>
/// Lowers the priority of the <c>dotnet run</c> CLI's tiered-compilation thread while the AppHost starts.
/// </summary>
/// <remarks>
/// After <c>dotnet run</c> has launched the AppHost it has nothing left to do but wait, yet its runtime then
/// re-compiles the CLI's own hot methods (MSBuild's evaluation) at tier 1: 1–1.5 s of CPU in its ".NET Tiered
/// Compilation Worker" thread during the AppHost's first seconds, measured with <c>perf</c> here, taken from the AppHost,
/// DCP and the resources starting on a two-core machine. On Linux, when the AppHost's parent is <c>dotnet run</c>, that
/// thread's nice value is raised to 19 (threads carry their own on Linux), so it runs only on otherwise idle CPU. The
/// CLI is not otherwise touched, and nothing happens under an IDE, the Aspire CLI or any other parent.
/// </remarks>
public static class DotnetRunPriority
{
    private const string CompilerThreadName = ".NET Tiered Com";
    private const int PrioProcess = 0;
    private const int LowestPriority = 19;

    /// <summary>Watches the parent <c>dotnet run</c> for its tiered-compilation thread during the first seconds of a run
    /// (the runtime retires that thread when idle and starts a new one when work comes) and lowers its priority.</summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The same builder.</returns>
    public static IDistributedApplicationBuilder LowerDotnetRunCompilerPriority(this IDistributedApplicationBuilder builder)
    {
        if (!OperatingSystem.IsLinux() || !builder.ExecutionContext.IsRunMode)
        {
            return builder;
        }

        var parent = ParentOf(Environment.ProcessId);
        if (parent is null || !IsDotnetRun(CommandLineOf(parent.Value)))
        {
            return builder;
        }

        _ = Task.Run(async () =>
        {
            var lowered = new HashSet<int>();
            for (var i = 0; i < 40; i++)
            {
                lowered.UnionWith(LowerThreads(parent.Value, CompilerThreadName, lowered));
                await Task.Delay(250);
            }
        });
        return builder;
    }

    /// <summary>Whether a command line is the .NET CLI's <c>run</c> command.</summary>
    /// <param name="argv">The command line's arguments, the program first.</param>
    /// <returns><see langword="true"/> for <c>dotnet run …</c>.</returns>
    public static bool IsDotnetRun(IReadOnlyList<string> argv) =>
        argv.Count >= 2
        && Path.GetFileName(argv[0]) is "dotnet" or "dotnet.exe"
        && argv.Skip(1).FirstOrDefault(a => !a.StartsWith('-')) == "run";

    /// <summary>Raises to 19 the nice value of the threads of a process whose name starts with a prefix.</summary>
    /// <param name="pid">The process.</param>
    /// <param name="namePrefix">The start of the thread name (Linux keeps its first 15 bytes).</param>
    /// <param name="skip">Threads already done.</param>
    /// <returns>The threads lowered by this call.</returns>
    public static IReadOnlyList<int> LowerThreads(int pid, string namePrefix, IReadOnlySet<int> skip)
    {
        var lowered = new List<int>();
        IEnumerable<string> tasks;
        try
        {
            tasks = Directory.EnumerateDirectories($"/proc/{pid}/task").ToList();
        }
        catch (IOException)
        {
            return lowered;
        }

        foreach (var task in tasks)
        {
            if (!int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid) || skip.Contains(tid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith(namePrefix, StringComparison.Ordinal)
                    && SetPriority(PrioProcess, tid, LowestPriority) == 0)
                {
                    lowered.Add(tid);
                }
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        return lowered;
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid …", comm may hold spaces and parentheses.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>A process's command line, from <c>/proc</c>; empty when it cannot be read (the process is gone).</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>The program and its arguments.</returns>
    internal static string[] CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException)
        {
            return [];
        }
    }

    // On Linux PRIO_PROCESS with a thread id sets that thread's nice value.
    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);
}
