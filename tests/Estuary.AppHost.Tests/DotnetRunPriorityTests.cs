using System.Globalization;
using Aspire.Hosting;

namespace Estuary.AppHost.Tests;

public sealed class DotnetRunPriorityTests
{
    [Theory]
    [InlineData(true, "dotnet", "run", "--no-build", "--project", "src/Estuary.AppHost")]
    [InlineData(true, "/usr/share/dotnet/dotnet", "run")]
    [InlineData(true, "dotnet", "--diagnostics", "run")]
    [InlineData(false, "dotnet", "build")]
    [InlineData(false, "dotnet", "Estuary.AppHost.dll")]
    [InlineData(false, "aspire", "run")]
    [InlineData(false, "dotnet")]
    public void IsDotnetRun_CommandLine_OnlyTheCliRunCommand(bool expected, params string[] argv) =>
        Assert.Equal(expected, DotnetRunPriority.IsDotnetRun(argv));

    [Fact]
    public void LowerThreads_ThreadNamedWithThePrefix_OnlyThatThreadGetsNiceNineteen()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var mainThread = NiceOf(Environment.ProcessId);
        using var release = new ManualResetEventSlim();
        var thread = new Thread(() => release.Wait()) { Name = "estuary-lowprio", IsBackground = true };
        thread.Start();
        try
        {
            var lowered = DotnetRunPriority.LowerThreads(Environment.ProcessId, "estuary-lowpr", new HashSet<int>());

            var tid = Assert.Single(lowered);
            Assert.Equal(19, NiceOf(tid));
            Assert.Equal(mainThread, NiceOf(Environment.ProcessId));
            Assert.Empty(DotnetRunPriority.LowerThreads(Environment.ProcessId, "estuary-lowpr", new HashSet<int>(lowered)));
        }
        finally
        {
            release.Set();
            thread.Join();
        }
    }

    // Field 19 of /proc/<pid>/task/<tid>/stat, counted after the parenthesised name.
    private static int NiceOf(int tid)
    {
        var stat = File.ReadAllText($"/proc/{Environment.ProcessId}/task/{tid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], CultureInfo.InvariantCulture);
    }
}
