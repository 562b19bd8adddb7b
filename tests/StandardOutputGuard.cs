using System.Runtime.InteropServices;
using Xunit.Sdk;
using Xunit.v3;

[assembly: TestPipelineStartup(typeof(Estuary.TestInfrastructure.StandardOutputGuard))]

namespace Estuary.TestInfrastructure;

/// <summary>
/// Keeps writers that bypass <see cref="Console"/> off the test process's standard output, which is xunit's message
/// channel: the runner reads one JSON message per line from it, and the process writes each long message in several
/// pieces. Native code in the process writes to file descriptor 1 directly, Temporal's SDK core its warnings above all;
/// a line of it landing between two pieces of a message makes that message unreadable, and the runner drops it: a test
/// then goes uncounted, and a dropped end-of-run message reads as "Test process crashed with exit code 0". xunit has
/// taken its own copy of the descriptor by the time this runs, so pointing descriptor 1 at standard error moves only the
/// other writers (child processes that inherit it included).
/// </summary>
internal sealed class StandardOutputGuard : ITestPipelineStartup
{
    private const int StandardOutput = 1;
    private const int StandardError = 2;

    public ValueTask StartAsync(IMessageSink diagnosticMessageSink)
    {
        // Windows' native writers use the process's standard handle, which xunit's runner does not share this way.
        if (!OperatingSystem.IsWindows() && Dup2(StandardError, StandardOutput) < 0)
        {
            throw new InvalidOperationException($"Could not point standard output at standard error (errno {Marshal.GetLastPInvokeError()}).");
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask StopAsync() => ValueTask.CompletedTask;

    // DllImport rather than LibraryImport: the latter needs unsafe code enabled in every test project.
    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int Dup2(int oldDescriptor, int newDescriptor);
}
