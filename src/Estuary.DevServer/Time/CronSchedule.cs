using System.Globalization;
using Estuary.DevServer.Visibility;

namespace Estuary.DevServer.Time;

/// <summary>
/// A workflow cron schedule as Temporal accepts it, evaluated in UTC: five fields (minute, hour, day of month,
/// month, day of week) with <c>*</c>, <c>?</c>, lists, ranges, steps and month/day names, or one of
/// <c>@yearly</c>, <c>@annually</c>, <c>@monthly</c>, <c>@weekly</c>, <c>@daily</c>, <c>@midnight</c>,
/// <c>@hourly</c>, <c>@every &lt;duration&gt;</c>.
/// </summary>
internal sealed class CronSchedule
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    // A schedule that matches nothing (e.g. 30 February) is given up on after this long.
    private static readonly TimeSpan SearchLimit = TimeSpan.FromDays(5 * 366);

    private readonly bool[] _minutes = new bool[60];
    private readonly bool[] _hours = new bool[24];
    private readonly bool[] _daysOfMonth = new bool[32];
    private readonly bool[] _months = new bool[13];
    private readonly bool[] _daysOfWeek = new bool[7];
    private bool _dayOfMonthRestricted;
    private bool _dayOfWeekRestricted;
    private TimeSpan? _every;

    private CronSchedule()
    {
    }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static CronSchedule Parse(string text)
    {
        var spec = text.Trim();
        var schedule = new CronSchedule();
        if (spec.StartsWith('@'))
        {
            if (spec.StartsWith("@every ", StringComparison.Ordinal))
            {
                var duration = spec["@every ".Length..].Trim();
                var nanos = QueryValues.ParseDurationNanos(duration);
                if (nanos is null || duration.Contains(':', StringComparison.Ordinal))
                {
                    throw new FormatException($"invalid duration '{duration}' in '@every' (expected e.g. 30s, 5m, 1h30m)");
                }
                var every = TimeSpan.FromTicks(nanos.Value / 100);
                if (every < TimeSpan.FromSeconds(1))
                {
                    throw new FormatException($"'@every' needs a duration of at least 1s, got '{duration}'");
                }
                schedule._every = every;
                return schedule;
            }
            spec = spec switch
            {
                "@yearly" or "@annually" => "0 0 1 1 *",
                "@monthly" => "0 0 1 * *",
                "@weekly" => "0 0 * * 0",
                "@daily" or "@midnight" => "0 0 * * *",
                "@hourly" => "0 * * * *",
                _ => throw new FormatException($"unrecognized descriptor '{spec}'"),
            };
        }
        var fields = spec.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            throw new FormatException($"expected exactly 5 fields (minute hour day-of-month month day-of-week), found {fields.Length}: '{text}'");
        }
        ParseField(fields[0], "minute", 0, 59, null, schedule._minutes);
        ParseField(fields[1], "hour", 0, 23, null, schedule._hours);
        schedule._dayOfMonthRestricted = ParseField(fields[2], "day of month", 1, 31, null, schedule._daysOfMonth);
        ParseField(fields[3], "month", 1, 12, MonthNames, schedule._months);
        schedule._dayOfWeekRestricted = ParseField(fields[4], "day of week", 0, 7, DayNames, schedule._daysOfWeek);
        return schedule;
    }

    /// <summary>The first scheduled time strictly after <paramref name="after"/> (UTC); null when there is none within five years.</summary>
    public DateTime? Next(DateTime after)
    {
        if (_every is { } every)
        {
            // As robfig/cron (Temporal's parser) does: whole seconds after the given time.
            return new DateTime(after.Ticks - after.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc) + every;
        }
        var limit = after + SearchLimit;
        var t = new DateTime(after.Ticks - after.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc).AddMinutes(1);
        while (t <= limit)
        {
            if (!_months[t.Month])
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
            }
            else if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
            }
            else if (!_hours[t.Hour])
            {
                t = t.Date.AddHours(t.Hour + 1);
            }
            else if (!_minutes[t.Minute])
            {
                t = t.AddMinutes(1);
            }
            else
            {
                return t;
            }
        }
        return null;
    }

    // Standard cron: when both day fields are restricted a day matching either one qualifies.
    private bool DayMatches(DateTime t)
    {
        var dayOfMonth = _daysOfMonth[t.Day];
        var dayOfWeek = _daysOfWeek[(int)t.DayOfWeek];
        return _dayOfMonthRestricted && _dayOfWeekRestricted ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek;
    }

    /// <summary>Sets the allowed values of one field; returns whether it restricts anything (is not <c>*</c> or <c>?</c>).</summary>
    private static bool ParseField(string field, string name, int min, int max, string[]? names, bool[] allowed)
    {
        if (field is "*" or "?")
        {
            Array.Fill(allowed, true);
            return false;
        }
        foreach (var part in field.Split(','))
        {
            var step = 1;
            var range = part;
            var slash = part.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                range = part[..slash];
                if (!int.TryParse(part.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1)
                {
                    throw new FormatException($"invalid step '{part[(slash + 1)..]}' in {name} field '{field}'");
                }
            }
            int low;
            int high;
            if (range is "*" or "?")
            {
                (low, high) = (min, max);
            }
            else
            {
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                low = Value(dash >= 0 ? range[..dash] : range, name, field, min, max, names);
                high = dash >= 0 ? Value(range[(dash + 1)..], name, field, min, max, names) : (slash >= 0 ? max : low);
                if (high < low)
                {
                    throw new FormatException($"range '{range}' in {name} field '{field}' runs backwards");
                }
            }
            for (var value = low; value <= high; value += step)
            {
                // Day of week 7 is Sunday, as 0.
                allowed[names == DayNames ? value % 7 : value] = true;
            }
        }
        return true;
    }

    private static int Value(string text, string name, string field, int min, int max, string[]? names)
    {
        if (names is not null)
        {
            var index = Array.FindIndex(names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                return names == MonthNames ? index + 1 : index;
            }
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new FormatException($"invalid value '{text}' in {name} field '{field}' (allowed {min}-{max})");
        }
        return value;
    }
}
