using Temporalio.Api.Schedule.V1;

namespace Estuary.DevServer.Schedules;

/// <summary>
/// A compiled <see cref="StructuredCalendarSpec"/>: which seconds, minutes, hours, days of the month, months, years and
/// days of the week match, on a wall clock (the schedule's time zone is applied by <see cref="CompiledScheduleSpec"/>).
/// A time matches when every field matches (day of month and day of week both, not either as in classic cron). A field
/// without ranges matches nothing, except the year, which then matches every year.
/// </summary>
internal sealed class ScheduleCalendar
{
    /// <summary>The first year a calendar matches.</summary>
    public const int MinYear = 2000;

    /// <summary>The last year a calendar matches; a search for the next time stops after it.</summary>
    public const int MaxYear = 2100;

    private readonly bool[] _seconds = new bool[60];
    private readonly bool[] _minutes = new bool[60];
    private readonly bool[] _hours = new bool[24];
    private readonly bool[] _daysOfMonth = new bool[32];
    private readonly bool[] _months = new bool[13];
    private readonly bool[] _daysOfWeek = new bool[7];
    private readonly bool[]? _years;
    private readonly bool _matchesNothing;

    /// <summary>Compiles <paramref name="spec"/>, whose ranges are already validated (see <see cref="Validate"/>).</summary>
    public ScheduleCalendar(StructuredCalendarSpec spec)
    {
        Fill(spec.Second, _seconds, 0);
        Fill(spec.Minute, _minutes, 0);
        Fill(spec.Hour, _hours, 0);
        Fill(spec.DayOfMonth, _daysOfMonth, 0);
        Fill(spec.Month, _months, 0);
        Fill(spec.DayOfWeek, _daysOfWeek, 7);
        if (spec.Year.Count > 0)
        {
            _years = new bool[MaxYear - MinYear + 1];
            Fill(spec.Year, _years, 0, MinYear);
        }
        _matchesNothing = !_seconds.Contains(true) || !_minutes.Contains(true) || !_hours.Contains(true)
            || !_daysOfMonth.Contains(true) || !_months.Contains(true) || !_daysOfWeek.Contains(true)
            || (_years is not null && !_years.Contains(true));
    }

    /// <summary>Why the ranges of <paramref name="spec"/> are out of bounds, or null when they are fine.</summary>
    public static string? Validate(StructuredCalendarSpec spec)
    {
        var errors = new List<string>();
        Check(spec.Second, "second", 0, 59, errors);
        Check(spec.Minute, "minute", 0, 59, errors);
        Check(spec.Hour, "hour", 0, 23, errors);
        Check(spec.DayOfMonth, "day_of_month", 1, 31, errors);
        Check(spec.Month, "month", 1, 12, errors);
        Check(spec.Year, "year", MinYear, MaxYear, errors);
        // 7 is Sunday too, as in cron strings.
        Check(spec.DayOfWeek, "day_of_week", 0, 7, errors);
        return errors.Count == 0 ? null : string.Join("; ", errors);
    }

    /// <summary>A range as Temporal reads it: an end before the start means the start alone, a step of 0 means 1.</summary>
    public static Temporalio.Api.Schedule.V1.Range Normalize(Temporalio.Api.Schedule.V1.Range range) => new()
    {
        Start = range.Start,
        End = range.End < range.Start ? range.Start : range.End,
        Step = range.Step == 0 ? 1 : range.Step,
    };

    /// <summary>Whether the wall-clock time <paramref name="local"/> (to the second) matches.</summary>
    public bool Matches(DateTime local) =>
        !_matchesNothing
        && YearMatches(local.Year) && _months[local.Month] && _daysOfMonth[local.Day] && _daysOfWeek[(int)local.DayOfWeek]
        && _hours[local.Hour] && _minutes[local.Minute] && _seconds[local.Second];

    /// <summary>The first matching wall-clock time strictly after <paramref name="local"/> (whole seconds), or null when none is left before <see cref="MaxYear"/> ends.</summary>
    public DateTime? NextAfter(DateTime local)
    {
        if (_matchesNothing)
        {
            return null;
        }
        var start = new DateTime(local.Ticks - local.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Unspecified).AddSeconds(1);
        int year = start.Year, month = start.Month, day = start.Day, hour = start.Hour, minute = start.Minute, second = start.Second;
        if (year < MinYear)
        {
            (year, month, day, hour, minute, second) = (MinYear, 1, 1, 0, 0, 0);
        }
        // Outside in: a field that does not match moves to the start of the next value of that field.
        while (year <= MaxYear)
        {
            if (!YearMatches(year))
            {
                (year, month, day, hour, minute, second) = (year + 1, 1, 1, 0, 0, 0);
            }
            else if (month > 12)
            {
                (year, month, day, hour, minute, second) = (year + 1, 1, 1, 0, 0, 0);
            }
            else if (!_months[month] || day > DateTime.DaysInMonth(year, month))
            {
                (month, day, hour, minute, second) = (month + 1, 1, 0, 0, 0);
            }
            else if (!_daysOfMonth[day] || !_daysOfWeek[(int)new DateTime(year, month, day).DayOfWeek] || hour > 23)
            {
                (day, hour, minute, second) = (day + 1, 0, 0, 0);
            }
            else if (!_hours[hour] || minute > 59)
            {
                (hour, minute, second) = (hour + 1, 0, 0);
            }
            else if (!_minutes[minute] || second > 59)
            {
                (minute, second) = (minute + 1, 0);
            }
            else if (!_seconds[second])
            {
                second++;
            }
            else
            {
                return new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
            }
        }
        return null;
    }

    private bool YearMatches(int year) => _years is null || (year is >= MinYear and <= MaxYear && _years[year - MinYear]);

    private static void Fill(IEnumerable<Temporalio.Api.Schedule.V1.Range> ranges, bool[] allowed, int wrapAt, int offset = 0)
    {
        foreach (var raw in ranges)
        {
            var range = Normalize(raw);
            for (long value = range.Start; value <= range.End; value += range.Step)
            {
                var index = (int)value - offset;
                if (wrapAt > 0)
                {
                    index %= wrapAt;
                }
                if (index >= 0 && index < allowed.Length)
                {
                    allowed[index] = true;
                }
            }
        }
    }

    private static void Check(IEnumerable<Temporalio.Api.Schedule.V1.Range> ranges, string field, int min, int max, List<string> errors)
    {
        foreach (var range in ranges)
        {
            if (range.Start < min || range.Start > max)
            {
                errors.Add($"{field} start {range.Start} is not in {min}-{max}");
            }
            if (range.End != 0 && (range.End < range.Start || range.End > max))
            {
                errors.Add($"{field} end {range.End} is before the start or not in {min}-{max}");
            }
            if (range.Step < 0)
            {
                errors.Add($"{field} step {range.Step} is negative");
            }
        }
    }
}
