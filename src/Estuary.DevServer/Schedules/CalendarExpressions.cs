using System.Globalization;
using Estuary.DevServer.Visibility;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Schedule.V1;
using ScheduleRange = Temporalio.Api.Schedule.V1.Range;

namespace Estuary.DevServer.Schedules;

/// <summary>
/// Compiles the text forms of a schedule spec into the structured ones Temporal describes a schedule with: a
/// <see cref="CalendarSpec"/> (a field each: <c>*</c>, <c>x</c>, <c>x-z</c>, <c>x/y</c>, <c>x-z/y</c>, lists of those,
/// month and day names) into a <see cref="StructuredCalendarSpec"/>, and a cron string (5, 6 or 7 fields, <c>@daily</c>
/// and the like, <c>@every 2h/15m</c>, an optional <c>TZ=</c>/<c>CRON_TZ=</c> prefix and <c># comment</c>) into a
/// structured calendar or an <see cref="IntervalSpec"/>. Errors are <see cref="FormatException"/>s naming the problem.
/// </summary>
internal static class CalendarExpressions
{
    private static readonly string[] MonthNames =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    private static readonly string[] DayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

    private enum Names
    {
        None,
        Months,
        Days,
    }

    /// <summary>A calendar spec's fields as ranges; empty fields take Temporal's defaults (second, minute, hour 0; the rest every value).</summary>
    public static StructuredCalendarSpec Compile(CalendarSpec calendar)
    {
        var structured = new StructuredCalendarSpec { Comment = calendar.Comment };
        structured.Second.Add(Ranges(calendar.Second, "0", "second", 0, 59, Names.None));
        structured.Minute.Add(Ranges(calendar.Minute, "0", "minute", 0, 59, Names.None));
        structured.Hour.Add(Ranges(calendar.Hour, "0", "hour", 0, 23, Names.None));
        structured.DayOfMonth.Add(Ranges(calendar.DayOfMonth, "*", "day_of_month", 1, 31, Names.None));
        structured.Month.Add(Ranges(calendar.Month, "*", "month", 1, 12, Names.Months));
        // Every year is an empty list, which is what the SDKs read as "any year".
        if (!string.IsNullOrWhiteSpace(calendar.Year) && calendar.Year.Trim() != "*")
        {
            structured.Year.Add(Ranges(calendar.Year, "*", "year", ScheduleCalendar.MinYear, ScheduleCalendar.MaxYear, Names.None));
        }
        structured.DayOfWeek.Add(Ranges(calendar.DayOfWeek, "*", "day_of_week", 0, 7, Names.Days));
        return structured;
    }

    /// <summary>A compiled cron string: a calendar or an interval, and the time zone its prefix names ("" when none).</summary>
    public sealed record CronResult(StructuredCalendarSpec? Calendar, IntervalSpec? Interval, string TimeZone);

    /// <summary>Compiles one of a spec's <c>cron_string</c> entries.</summary>
    public static CronResult CompileCron(string text)
    {
        var cron = text.Trim();
        var comment = "";
        var hash = cron.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            comment = cron[(hash + 1)..].Trim();
            cron = cron[..hash].Trim();
        }
        var timeZone = "";
        if (cron.StartsWith("TZ=", StringComparison.Ordinal) || cron.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            var space = cron.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0)
            {
                throw new FormatException($"cron string '{text}' has a time zone but no schedule");
            }
            timeZone = cron[(cron.IndexOf('=', StringComparison.Ordinal) + 1)..space];
            cron = cron[(space + 1)..].Trim();
        }
        if (cron.StartsWith("@every", StringComparison.Ordinal))
        {
            return new CronResult(null, Every(cron, text), timeZone);
        }
        cron = cron switch
        {
            "@yearly" or "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" or "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            _ when cron.StartsWith('@') => throw new FormatException($"cron string '{text}': unknown shorthand '{cron}'"),
            _ => cron,
        };
        var fields = cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var calendar = new CalendarSpec { Comment = comment };
        switch (fields.Length)
        {
            case 5:
                (calendar.Minute, calendar.Hour, calendar.DayOfMonth, calendar.Month, calendar.DayOfWeek) = (fields[0], fields[1], fields[2], fields[3], fields[4]);
                break;
            case 6:
                (calendar.Minute, calendar.Hour, calendar.DayOfMonth, calendar.Month, calendar.DayOfWeek, calendar.Year) =
                    (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
                break;
            case 7:
                (calendar.Second, calendar.Minute, calendar.Hour, calendar.DayOfMonth, calendar.Month, calendar.DayOfWeek, calendar.Year) =
                    (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]);
                break;
            default:
                throw new FormatException($"cron string '{text}' has {fields.Length} fields; expected 5 (minute hour day-of-month month day-of-week), 6 (… year) or 7 (second …)");
        }
        try
        {
            return new CronResult(Compile(calendar), null, timeZone);
        }
        catch (FormatException e)
        {
            throw new FormatException($"cron string '{text}': {e.Message}");
        }
    }

    /// <summary><c>@every 90m</c> or <c>@every 1d/2h</c> (interval / phase; units s, m, h, d).</summary>
    private static IntervalSpec Every(string cron, string text)
    {
        var space = cron.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            throw new FormatException($"cron string '{text}': '@every' needs an interval, e.g. '@every 30m'");
        }
        var parts = cron[(space + 1)..].Trim().Split('/');
        if (parts.Length > 2)
        {
            throw new FormatException($"cron string '{text}': expected '@every <interval>[/<phase>]'");
        }
        var interval = new IntervalSpec { Interval = Duration.FromTimeSpan(ParseDuration(parts[0], text)) };
        if (parts.Length == 2)
        {
            interval.Phase = Duration.FromTimeSpan(ParseDuration(parts[1], text));
        }
        return interval;
    }

    private static TimeSpan ParseDuration(string value, string text)
    {
        var trimmed = value.Trim();
        var nanos = trimmed.Contains(':', StringComparison.Ordinal) ? null : QueryValues.ParseDurationNanos(trimmed);
        return nanos is { } n
            ? TimeSpan.FromTicks(n / 100)
            : throw new FormatException($"cron string '{text}': invalid duration '{value}' (expected e.g. 30s, 15m, 2h, 1d)");
    }

    /// <summary>
    /// One field: comma-separated parts, each <c>*</c>, a value, <c>x-z</c>, with an optional <c>/step</c> (<c>x/y</c> runs
    /// from x to the field's maximum).
    /// </summary>
    private static List<ScheduleRange> Ranges(string text, string fallback, string field, int min, int max, Names names)
    {
        var value = string.IsNullOrWhiteSpace(text) ? fallback : text.Trim();
        var ranges = new List<ScheduleRange>();
        foreach (var rawPart in value.Split(','))
        {
            var part = rawPart.Trim();
            var step = 1;
            var hasStep = false;
            var slash = part.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                if (!int.TryParse(part.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1)
                {
                    throw new FormatException($"invalid step in {field} '{value}'");
                }
                hasStep = true;
                part = part[..slash];
            }
            // Every day of the week is 0-6 (7 is Sunday again).
            int start = min, end = names == Names.Days ? 6 : max;
            if (part != "*")
            {
                var dash = part.IndexOf('-', StringComparison.Ordinal);
                if (dash >= 0)
                {
                    start = Value(part[..dash], field, value, min, max, names);
                    end = Value(part[(dash + 1)..], field, value, start, max, names);
                }
                else
                {
                    start = Value(part, field, value, min, max, names);
                    end = hasStep ? max : start;
                }
            }
            ranges.Add(new ScheduleRange { Start = start, End = end, Step = step });
        }
        return ranges;
    }

    private static int Value(string text, string field, string whole, int min, int max, Names names)
    {
        var lower = text.Trim().ToLowerInvariant();
        var candidates = names switch
        {
            Names.Months when lower.Length >= 3 => MonthNames,
            Names.Days when lower.Length >= 2 => DayNames,
            _ => null,
        };
        if (candidates is not null)
        {
            var index = Array.FindIndex(candidates, name => name.StartsWith(lower, StringComparison.Ordinal));
            if (index >= 0)
            {
                var named = names == Names.Months ? index + 1 : index;
                return named >= min && named <= max ? named : throw new FormatException($"{text} is out of range in {field} '{whole}'");
            }
        }
        if (!int.TryParse(lower, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw new FormatException($"'{text}' is not a valid value in {field} '{whole}'");
        }
        return number >= min && number <= max ? number : throw new FormatException($"{number} is out of range in {field} '{whole}' (allowed {min}-{max})");
    }
}
