using System.Globalization;
using Temporalio.Api.Enums.V1;

namespace Estuary.Temporal.Schedules;

/// <summary>Reads the period and overlap policy of a schedule backfill from text, for the command line's options and the
/// dashboard's dialog alike; each problem is a <see cref="FormatException"/> with one line naming the value.</summary>
public static class ScheduleBackfillText
{
    /// <summary>Gets the names of the overlap policies one can choose (Temporal's, without <c>Unspecified</c>).</summary>
    public static IReadOnlyList<string> OverlapPolicies { get; } =
        [.. Enum.GetValues<ScheduleOverlapPolicy>().Where(p => p != ScheduleOverlapPolicy.Unspecified).Select(p => p.ToString())];

    /// <summary>Reads a date and time, ISO 8601; UTC when it has no offset.</summary>
    /// <param name="text">The text.</param>
    /// <param name="name">What the value is, as the message names it (<c>Option '--start'</c>).</param>
    /// <returns>The time in UTC.</returns>
    /// <exception cref="FormatException">The text is not a date and time.</exception>
    public static DateTime Instant(string? text, string name) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value.UtcDateTime
            : throw new FormatException($"{name} must be a date and time, ISO 8601 (e.g. 2030-01-01T00:00:00Z), got '{text}'.");

    /// <summary>Checks that a period ends after it starts.</summary>
    /// <param name="start">The start.</param>
    /// <param name="end">The end.</param>
    /// <param name="endName">What the end is, as the message names it.</param>
    /// <param name="startName">What the start is, as the message names it.</param>
    /// <exception cref="FormatException">The end is not after the start.</exception>
    public static void CheckPeriod(DateTime start, DateTime end, string endName, string startName)
    {
        if (end <= start)
        {
            throw new FormatException($"{endName} must be after {startName}, got {Format(start)} to {Format(end)}.");
        }
    }

    /// <summary>Reads an overlap policy by name, case-insensitively, dashes and underscores ignored (<c>allow-all</c>).</summary>
    /// <param name="text">The name; <c>null</c> or empty for the schedule's own policy.</param>
    /// <param name="name">What the value is, as the message names it.</param>
    /// <returns>The policy; <see cref="ScheduleOverlapPolicy.Unspecified"/> for the schedule's own.</returns>
    /// <exception cref="FormatException">Not one of <see cref="OverlapPolicies"/>.</exception>
    public static ScheduleOverlapPolicy Overlap(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return ScheduleOverlapPolicy.Unspecified;
        }

        var bare = text.Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).Trim();
        return OverlapPolicies.FirstOrDefault(p => string.Equals(p, bare, StringComparison.OrdinalIgnoreCase)) is { } policy
            ? Enum.Parse<ScheduleOverlapPolicy>(policy)
            : throw new FormatException($"{name} must be one of {string.Join(", ", OverlapPolicies)}, got '{text}'.");
    }

    /// <summary>Formats a time as the messages show it: <c>2030-01-01T00:00:00Z</c>.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The text.</returns>
    public static string Format(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
