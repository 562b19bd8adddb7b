using System.Diagnostics;
using System.Diagnostics.Tracing;

namespace Estuary.Monitoring.Bench;

/// <summary>
/// What the process allocates, by type: the runtime's allocation-tick event (one about every 100 KB allocated, naming
/// the type of the object that crossed the mark) sampled by an in-process listener. Each sample is filed under the mode
/// of the round it fell in, by its time stamp, so the types a mode allocates more than the reference stand out.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly List<(DateTime At, string Type, long Bytes)> _samples = [];
    private readonly DateTime _anchorTime = DateTime.UtcNow;
    private readonly long _anchorTicks = Stopwatch.GetTimestamp();

    /// <summary>Gets the samples' bytes by mode and type for rounds given as (mode, start, end) on Stopwatch's clock in seconds.</summary>
    /// <typeparam name="TMode">The mode's type.</typeparam>
    /// <param name="rounds">Each measured round.</param>
    /// <returns>Mode → type → bytes sampled.</returns>
    public Dictionary<TMode, Dictionary<string, long>> ByMode<TMode>(IEnumerable<(TMode Mode, double Start, double End)> rounds)
        where TMode : notnull
    {
        var windows = rounds.Select(r => (r.Mode, Start: Time(r.Start), End: Time(r.End))).OrderBy(r => r.Start).ToList();
        var byMode = new Dictionary<TMode, Dictionary<string, long>>();
        lock (_samples)
        {
            foreach (var (at, type, bytes) in _samples)
            {
                var window = windows.FindLast(w => w.Start <= at);
                if (window.Mode is null || at > window.End)
                {
                    continue;
                }

                var types = byMode.TryGetValue(window.Mode, out var found) ? found : byMode[window.Mode] = [];
                types[type] = types.GetValueOrDefault(type) + bytes;
            }
        }

        return byMode;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == RuntimeSource)
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.Payload is not { } payload)
        {
            return;
        }

        var type = payload[eventData.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
        var bytes = Convert.ToInt64(payload[eventData.PayloadNames!.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        lock (_samples)
        {
            _samples.Add((eventData.TimeStamp.ToUniversalTime(), type, bytes));
        }
    }

    private DateTime Time(double stopwatchSeconds) =>
        _anchorTime + TimeSpan.FromSeconds(stopwatchSeconds - (_anchorTicks / (double)Stopwatch.Frequency));
}
