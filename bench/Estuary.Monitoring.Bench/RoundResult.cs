using System.Diagnostics;
using System.Globalization;

namespace Estuary.Monitoring.Bench;

/// <summary>One mode's client and worker, started once and kept for the whole run as a worker process keeps them.</summary>
internal interface IModeRun : IAsyncDisposable
{
    /// <summary>Runs one round of the scenario's work and measures it.</summary>
    /// <returns>The round's figures.</returns>
    Task<RoundResult> RunAsync();
}

/// <summary>One round's figures.</summary>
/// <param name="PerSecond">Activities per second of wall-clock time.</param>
/// <param name="CpuMicroseconds">CPU time of the bench process (workers, clients, telemetry; not the server or the
/// receiver, which run apart) per activity.</param>
/// <param name="AllocatedKiB">Managed memory allocated per activity.</param>
/// <param name="GcPauseMicroseconds">Time the garbage collector paused the process, per activity.</param>
/// <param name="ContextSwitches">Thread context switches per activity.</param>
/// <param name="Start">When the round started, in seconds of the monotonic clock on Linux (Stopwatch's clock).</param>
/// <param name="End">When the round ended, on the same clock.</param>
/// <param name="Activities">The activities the round ran.</param>
/// <param name="Collections">Garbage collections during the round: generation 0, 1 and 2 (each counts the lower ones too).</param>
/// <param name="JitMicroseconds">Time the JIT spent compiling during the round, per activity (CPU of the process the
/// round is charged with, though it comes from code reaching a new tier, not from the round's work).</param>
internal sealed record RoundResult(
    double PerSecond,
    double CpuMicroseconds,
    double AllocatedKiB,
    double GcPauseMicroseconds,
    double ContextSwitches,
    double Start,
    double End,
    int Activities,
    string Collections,
    double JitMicroseconds)
{
    /// <summary>Times <paramref name="work"/> from its start to its end and reads, for the bench process (SDK core,
    /// workers, clients, telemetry pipeline), the CPU time, managed allocation, GC pauses and context switches it took.</summary>
    /// <param name="work">The round; returns how many activities it ran.</param>
    /// <returns>The figures, per activity.</returns>
    public static async Task<RoundResult> MeasureAsync(Func<Task<int>> work)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes();
        var paused = GC.GetTotalPauseDuration();
        int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var switches = ContextSwitchesSoFar();
        var jit = System.Runtime.JitInfo.GetCompilationTime();
        var begin = Stopwatch.GetTimestamp();
        var count = await work();
        var end = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(begin, end);
        process.Refresh();
        var cpuUsed = process.TotalProcessorTime - cpu;
        var allocatedBytes = GC.GetTotalAllocatedBytes() - allocated;
        var pause = GC.GetTotalPauseDuration() - paused;
        var collected = $"{GC.CollectionCount(0) - collections[0]}/{GC.CollectionCount(1) - collections[1]}/{GC.CollectionCount(2) - collections[2]}";
        var switched = ContextSwitchesSoFar() - switches;
        var compiled = System.Runtime.JitInfo.GetCompilationTime() - jit;
        return new(
            count / elapsed.TotalSeconds,
            cpuUsed.TotalMicroseconds / count,
            allocatedBytes / 1024.0 / count,
            pause.TotalMicroseconds / count,
            (double)switched / count,
            begin / (double)Stopwatch.Frequency,
            end / (double)Stopwatch.Frequency,
            count,
            collected,
            compiled.TotalMicroseconds / count);
    }

    // Voluntary and involuntary context switches of every thread of this process so far (Linux; 0 elsewhere). Threads
    // that ended in between are not counted, which only undercounts.
    private static long ContextSwitchesSoFar()
    {
        long total = 0;
        if (!Directory.Exists("/proc/self/task"))
        {
            return total;
        }

        foreach (var thread in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(thread, "status")))
                {
                    if (line.Contains("ctxt_switches:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
                // The thread ended while being read.
            }
        }

        return total;
    }
}
