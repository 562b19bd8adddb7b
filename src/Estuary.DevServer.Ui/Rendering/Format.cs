using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Ui.Rendering;

/// <summary>Times, durations and statuses as the pages write them (UTC, as Temporal's UI does by default).</summary>
internal static class Format
{
    public static string Time(Timestamp? time) =>
        time is null ? "" : time.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string PreciseTime(Timestamp? time) =>
        time is null ? "" : time.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>e.g. <c>2h 3m 4s</c>, <c>1.25s</c>, <c>35ms</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }
        if (span.TotalSeconds < 1)
        {
            return $"{(int)span.TotalMilliseconds}ms";
        }
        if (span.TotalMinutes < 1)
        {
            return span.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture) + "s";
        }
        var parts = new List<string>(4);
        if (span.Days > 0)
        {
            parts.Add($"{span.Days}d");
        }
        if (span.Hours > 0)
        {
            parts.Add($"{span.Hours}h");
        }
        if (span.Minutes > 0)
        {
            parts.Add($"{span.Minutes}m");
        }
        if (span.Seconds > 0)
        {
            parts.Add($"{span.Seconds}s");
        }
        return string.Join(' ', parts);
    }

    public static string Duration(Timestamp? start, Timestamp? end) =>
        start is null || end is null ? "" : Duration(end.ToDateTime() - start.ToDateTime());

    public static string Duration(Google.Protobuf.WellKnownTypes.Duration? duration) =>
        duration is null ? "" : Duration(duration.ToTimeSpan());

    /// <summary>The status as Temporal's list filter and UI name it (<c>Running</c>, <c>TimedOut</c>, …).</summary>
    public static string Status(WorkflowExecutionStatus status) => status.ToString();

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
