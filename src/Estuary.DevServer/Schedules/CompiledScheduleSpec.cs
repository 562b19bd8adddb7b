using System.Text;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Schedule.V1;

namespace Estuary.DevServer.Schedules;

/// <summary>A scheduled time: the time the spec matches (<see cref="Nominal"/>) and that time plus its jitter (<see cref="Next"/>, when the action is taken).</summary>
/// <param name="Nominal">The matching time.</param>
/// <param name="Next">The matching time plus jitter.</param>
internal readonly record struct ScheduledTime(DateTime Nominal, DateTime Next);

/// <summary>
/// A <see cref="ScheduleSpec"/> ready to be evaluated, as Temporal evaluates one: the union of its calendars (in its time
/// zone, on the wall clock: a time skipped by a daylight-saving change never matches, a repeated one matches twice)
/// and intervals (<c>epoch + n × interval + phase</c>, in absolute time), minus the excluded calendar times, within
/// its start and end times, at whole seconds; each time is then delayed by a jitter from zero to the spec's, derived
/// from the time and a seed so it is the same whenever it is computed, and never past the following matching time.
/// <see cref="Canonical"/> is the spec as Describe shows it: calendars and cron strings compiled into structured
/// calendars and intervals.
/// </summary>
internal sealed class CompiledScheduleSpec
{
    // A daylight-saving change moves the wall clock by at most this much; a calendar time this far before a given
    // time may still come after it in absolute time.
    private static readonly TimeSpan ZoneShiftWindow = TimeSpan.FromHours(3);

    private readonly ScheduleTimeZone _zone;
    private readonly List<ScheduleCalendar> _calendars;
    private readonly List<ScheduleCalendar> _excludes;
    private readonly List<(long Interval, long Phase)> _intervals;
    private readonly DateTime? _start;
    private readonly DateTime? _end;
    private readonly TimeSpan _jitter;

    private CompiledScheduleSpec(ScheduleSpec canonical, ScheduleTimeZone zone)
    {
        Canonical = canonical;
        _zone = zone;
        _calendars = canonical.StructuredCalendar.Select(c => new ScheduleCalendar(c)).ToList();
        _excludes = canonical.ExcludeStructuredCalendar.Select(c => new ScheduleCalendar(c)).ToList();
        _intervals = canonical.Interval.Select(i => ((long)i.Interval.ToTimeSpan().TotalSeconds, (long)(i.Phase?.ToTimeSpan().TotalSeconds ?? 0))).ToList();
        _start = canonical.StartTime?.ToDateTime();
        _end = canonical.EndTime?.ToDateTime();
        _jitter = canonical.Jitter?.ToTimeSpan() ?? TimeSpan.Zero;
    }

    /// <summary>The spec as Temporal describes it (structured calendars and intervals only, ranges normalized).</summary>
    public ScheduleSpec Canonical { get; }

    /// <summary>Compiles <paramref name="spec"/>; throws <see cref="FormatException"/> naming what is invalid.</summary>
    public static CompiledScheduleSpec Compile(ScheduleSpec spec)
    {
        var canonical = spec.Clone();
        foreach (var calendar in spec.Calendar)
        {
            canonical.StructuredCalendar.Add(CalendarExpressions.Compile(calendar));
        }
        canonical.Calendar.Clear();
#pragma warning disable CS0612 // Deprecated in favour of exclude_structured_calendar, which it is compiled into.
        foreach (var calendar in spec.ExcludeCalendar)
        {
            canonical.ExcludeStructuredCalendar.Add(CalendarExpressions.Compile(calendar));
        }
        canonical.ExcludeCalendar.Clear();
#pragma warning restore CS0612
        string? cronZone = null;
        foreach (var cron in spec.CronString)
        {
            var compiled = CalendarExpressions.CompileCron(cron);
            if (cronZone is not null && cronZone != compiled.TimeZone)
            {
                throw new FormatException("the cron strings name different time zones");
            }
            cronZone = compiled.TimeZone;
            if (compiled.Calendar is not null)
            {
                canonical.StructuredCalendar.Add(compiled.Calendar);
            }
            if (compiled.Interval is not null)
            {
                canonical.Interval.Add(compiled.Interval);
            }
        }
        canonical.CronString.Clear();
        if (!string.IsNullOrEmpty(cronZone))
        {
            if (canonical.TimezoneName.Length > 0 && canonical.TimezoneName != cronZone)
            {
                throw new FormatException($"the cron strings' time zone {cronZone} differs from timezone_name {canonical.TimezoneName}");
            }
            if (!canonical.TimezoneData.IsEmpty)
            {
                throw new FormatException($"the cron strings' time zone {cronZone} conflicts with timezone_data");
            }
            canonical.TimezoneName = cronZone;
        }
        foreach (var calendar in canonical.StructuredCalendar.Concat(canonical.ExcludeStructuredCalendar))
        {
            if (ScheduleCalendar.Validate(calendar) is { } error)
            {
                throw new FormatException($"invalid calendar: {error}");
            }
            NormalizeRanges(calendar);
        }
        foreach (var interval in canonical.Interval)
        {
            var every = Seconds(interval.Interval);
            var phase = Seconds(interval.Phase);
            if (every < TimeSpan.FromSeconds(1))
            {
                throw new FormatException($"interval {every} is too small (at least 1s)");
            }
            if (phase < TimeSpan.Zero)
            {
                throw new FormatException("an interval's phase must not be negative");
            }
            if (phase >= every)
            {
                throw new FormatException($"an interval's phase ({phase}) must be shorter than the interval ({every})");
            }
            interval.Interval = Duration.FromTimeSpan(every);
            interval.Phase = phase > TimeSpan.Zero ? Duration.FromTimeSpan(phase) : null;
        }
        if (canonical.Jitter?.ToTimeSpan() < TimeSpan.Zero)
        {
            throw new FormatException("jitter must not be negative");
        }
        if (canonical.StartTime is not null && canonical.EndTime is not null && canonical.EndTime.ToDateTime() < canonical.StartTime.ToDateTime())
        {
            throw new FormatException("end_time is before start_time");
        }
        ScheduleTimeZone zone;
        try
        {
            zone = ScheduleTimeZone.For(canonical.TimezoneName, canonical.TimezoneData.Span);
        }
        catch (FormatException e) when (!canonical.TimezoneData.IsEmpty)
        {
            throw new FormatException($"timezone_data: {e.Message}", e);
        }
        return new CompiledScheduleSpec(canonical, zone);
    }

    /// <summary>The first scheduled time whose nominal time is strictly after <paramref name="after"/>, or null when there is none.</summary>
    /// <param name="after">A time (UTC).</param>
    /// <param name="jitterSeed">What makes one schedule's jitter differ from another's at the same times.</param>
    public ScheduledTime? NextTime(DateTime after, string jitterSeed)
    {
        if (_start is { } start && after < start)
        {
            // Just before the start, so a time at the start itself still matches.
            after = start.AddSeconds(-1);
        }
        while (true)
        {
            if (RawNext(after) is not { } nominal || (_end is { } end && nominal > end))
            {
                return null;
            }
            if (!IsExcluded(nominal))
            {
                var maxJitter = _jitter;
                if (RawNext(nominal) is { } following && following - nominal < maxJitter)
                {
                    maxJitter = following - nominal;
                }
                return new ScheduledTime(nominal, nominal + Jitter(nominal, maxJitter, jitterSeed));
            }
            after = nominal;
        }
    }

    /// <summary>The first time after <paramref name="after"/> any calendar or interval matches, ignoring exclusions, start and end.</summary>
    private DateTime? RawNext(DateTime after)
    {
        var seconds = new DateTime(after.Ticks - after.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        DateTime? best = null;
        foreach (var calendar in _calendars)
        {
            if (NextInZone(calendar, seconds) is { } next && (best is null || next < best))
            {
                best = next;
            }
        }
        var unix = (long)(seconds - DateTime.UnixEpoch).TotalSeconds;
        foreach (var (interval, phase) in _intervals)
        {
            var next = DateTime.UnixEpoch.AddSeconds((FloorDivide(unix - phase, interval) + 1) * interval + phase);
            if (best is null || next < best)
            {
                best = next;
            }
        }
        return best;
    }

    /// <summary>The calendar's first time strictly after <paramref name="after"/> (UTC, whole seconds), read on the zone's wall clock.</summary>
    private DateTime? NextInZone(ScheduleCalendar calendar, DateTime after)
    {
        if (_zone.IsUtc)
        {
            return calendar.NextAfter(after) is { } utc ? DateTime.SpecifyKind(utc, DateTimeKind.Utc) : null;
        }
        var local = _zone.ToLocal(after);
        var offset = _zone.OffsetAt(after);
        if (_zone.OffsetAt(after.AddDays(-1)) == offset && _zone.OffsetAt(after.AddDays(2)) == offset
            && calendar.NextAfter(local) is { } soon && soon <= local.AddDays(1))
        {
            // No change of offset near: the wall clock maps one to one.
            return DateTime.SpecifyKind(soon - offset, DateTimeKind.Utc);
        }
        // Near a change, wall-clock times map to zero (skipped), one or two (repeated) instants, not in wall-clock
        // order: look from a little before, and keep the earliest instant after the given time.
        var candidate = local - ZoneShiftWindow;
        DateTime? best = null;
        DateTime? stopAt = null;
        while (calendar.NextAfter(candidate) is { } next && (stopAt is null || next <= stopAt))
        {
            candidate = next;
            foreach (var instant in _zone.Instants(next))
            {
                if (instant > after && (best is null || instant < best))
                {
                    best = instant;
                    stopAt = next + ZoneShiftWindow + ZoneShiftWindow;
                }
            }
        }
        return best;
    }

    private bool IsExcluded(DateTime nominal)
    {
        if (_excludes.Count == 0)
        {
            return false;
        }
        var local = _zone.IsUtc ? nominal : _zone.ToLocal(nominal);
        return _excludes.Any(exclude => exclude.Matches(local));
    }

    /// <summary>A delay from zero up to <paramref name="max"/> (to the millisecond), the same for the same time and seed.</summary>
    private static TimeSpan Jitter(DateTime nominal, TimeSpan max, string seed)
    {
        var milliseconds = (long)max.TotalMilliseconds;
        if (milliseconds <= 0)
        {
            return TimeSpan.Zero;
        }
        // FNV-1a over the time and the seed.
        var hash = 2166136261u;
        foreach (var b in BitConverter.GetBytes(nominal.Ticks).Concat(Encoding.UTF8.GetBytes(seed)))
        {
            hash = (hash ^ b) * 16777619u;
        }
        var range = (ulong)Math.Min(milliseconds, uint.MaxValue);
        return TimeSpan.FromMilliseconds((double)((hash * range) >> 32));
    }

    private static long FloorDivide(long dividend, long divisor) =>
        dividend >= 0 ? dividend / divisor : -((-dividend + divisor - 1) / divisor);

    private static void NormalizeRanges(StructuredCalendarSpec calendar)
    {
        foreach (var field in new[] { calendar.Second, calendar.Minute, calendar.Hour, calendar.DayOfMonth, calendar.Month, calendar.Year, calendar.DayOfWeek })
        {
            for (var i = 0; i < field.Count; i++)
            {
                field[i] = ScheduleCalendar.Normalize(field[i]);
            }
        }
    }

    private static TimeSpan Seconds(Duration? duration)
    {
        var span = duration?.ToTimeSpan() ?? TimeSpan.Zero;
        return TimeSpan.FromSeconds(Math.Truncate(span.TotalSeconds));
    }
}
