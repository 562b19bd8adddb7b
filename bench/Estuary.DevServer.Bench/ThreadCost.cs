using System.Diagnostics;

namespace Estuary.DevServer.Bench;

/// <summary>
/// What the .NET SDK's way of running workflow code costs on this machine. The SDK's workflow worker runs every
/// activation (every workflow task) with <c>Task.Factory.StartNew(…, TaskCreationOptions.LongRunning, …)</c> on the
/// default scheduler, which starts a new OS thread for it; a pool task is the comparison.
/// </summary>
internal static class ThreadCost
{
    /// <summary>Runs <paramref name="count"/> tasks one after another, each started the SDK's way from a pool thread,
    /// and returns the process CPU time per task in microseconds.</summary>
    public static async Task<double> MeasureAsync(int count, TaskCreationOptions options)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < count; i++)
        {
            var value = i;
            await Task.Run(() => Task.Factory.StartNew(
                () => value, CancellationToken.None, options | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default));
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds / count;
    }
}
