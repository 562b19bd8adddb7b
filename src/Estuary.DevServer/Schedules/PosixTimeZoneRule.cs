using System.Globalization;

namespace Estuary.DevServer.Schedules;

/// <summary>
/// A POSIX TZ string as a TZif footer carries it (RFC 8536 section 3.3): a standard time and optionally a daylight
/// saving time with the yearly dates and times it starts and ends, e.g. <c>CET-1CEST,M3.5.0,M10.5.0/3</c> or
/// <c>&lt;+1030&gt;-10:30&lt;+11&gt;-11,M10.1.0,M4.1.0</c>. POSIX offsets count westwards (<c>CET-1</c> is UTC+1); this
/// type holds UTC offsets as everything else does (east positive). The version 3 extensions are accepted: rule times
/// from -167 to 167 hours, so a change may fall on another day than its date.
/// </summary>
internal sealed class PosixTimeZoneRule
{
    private const int SecondsPerHour = 3600;

    // A DST part without dates follows the default rule of the reference implementation (tzcode), as Go does.
    private static readonly (RuleDate Date, int Time) DefaultStart = (new RuleDate(RuleDateKind.MonthWeekDay, 3, 2, 0), 2 * SecondsPerHour);
    private static readonly (RuleDate Date, int Time) DefaultEnd = (new RuleDate(RuleDateKind.MonthWeekDay, 11, 1, 0), 2 * SecondsPerHour);

    // The instants whose year the rule is evaluated in, so the years around them stay within DateTime's range.
    private static readonly long MinSeconds = (long)(new DateTime(2, 1, 1, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalSeconds;
    private static readonly long MaxSeconds = (long)(new DateTime(9998, 12, 31, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalSeconds;

    private readonly (RuleDate Date, int Time) _start;
    private readonly (RuleDate Date, int Time) _end;

    private PosixTimeZoneRule(int standardOffset, int? daylightOffset, (RuleDate, int) start, (RuleDate, int) end)
    {
        StandardOffset = standardOffset;
        DaylightOffset = daylightOffset;
        _start = start;
        _end = end;
    }

    /// <summary>The standard time's UTC offset in seconds (east of Greenwich positive).</summary>
    public int StandardOffset { get; }

    /// <summary>The daylight saving time's UTC offset in seconds, or null when the zone has none.</summary>
    public int? DaylightOffset { get; }

    /// <summary>Parses a TZ string; throws <see cref="FormatException"/> naming what is wrong with it.</summary>
    public static PosixTimeZoneRule Parse(string tz)
    {
        var reader = new Reader(tz);
        reader.Designation("standard time");
        var standard = -reader.Offset("standard time");
        if (reader.AtEnd)
        {
            return new PosixTimeZoneRule(standard, null, default, default);
        }
        reader.Designation("daylight saving time");
        var daylight = reader.Peek is '+' or '-' || char.IsAsciiDigit(reader.Peek) ? -reader.Offset("daylight saving time") : standard + SecondsPerHour;
        if (reader.AtEnd)
        {
            return new PosixTimeZoneRule(standard, daylight, DefaultStart, DefaultEnd);
        }
        reader.Expect(',', "a ',' before the date daylight saving time starts");
        var start = reader.Change("start");
        reader.Expect(',', "a ',' before the date daylight saving time ends");
        var end = reader.Change("end");
        if (!reader.AtEnd)
        {
            throw reader.Error("unexpected text after the end rule");
        }
        return new PosixTimeZoneRule(standard, daylight, start, end);
    }

    /// <summary>The UTC offset (seconds) at an instant given in seconds since the Unix epoch.</summary>
    public int OffsetAt(long unixSeconds)
    {
        // The last change at or before the instant, among those of the years around it (a change lies within a week
        // of its date, so those of two years before always come earlier).
        var year = DateTime.UnixEpoch.AddSeconds(Math.Clamp(unixSeconds + StandardOffset, MinSeconds, MaxSeconds)).Year;
        var offset = StandardOffset;
        foreach (var (at, after) in Transitions(year - 2, year + 1))
        {
            if (at > unixSeconds)
            {
                break;
            }
            offset = after;
        }
        return offset;
    }

    /// <summary>
    /// Each year's changes from <paramref name="fromYear"/> to <paramref name="toYear"/>: (instant in Unix seconds,
    /// UTC offset from then on), in order; where a year's end meets the next year's start the end comes first.
    /// </summary>
    public IEnumerable<(long At, int Offset)> Transitions(int fromYear, int toYear)
    {
        if (DaylightOffset is not { } daylight)
        {
            return [];
        }
        var changes = new List<(long At, int Offset, int Order)>();
        for (var year = Math.Max(fromYear, DateTime.MinValue.Year + 1); year <= Math.Min(toYear, DateTime.MaxValue.Year - 1); year++)
        {
            // A change happens at a wall-clock time of the time in force before it.
            changes.Add((LocalSeconds(year, _start) - StandardOffset, daylight, 1));
            changes.Add((LocalSeconds(year, _end) - daylight, StandardOffset, 0));
        }
        return changes.OrderBy(c => c.At).ThenBy(c => c.Order).Select(c => (c.At, c.Offset));
    }

    /// <summary>The wall-clock time of a change in <paramref name="year"/>, as seconds since the epoch of that wall clock.</summary>
    private static long LocalSeconds(int year, (RuleDate Date, int Time) change) =>
        (long)(change.Date.In(year) - DateTime.UnixEpoch).TotalSeconds + change.Time;

    private enum RuleDateKind
    {
        /// <summary><c>Jn</c>: day n (1 to 365) of the year, February 29 never counted.</summary>
        JulianNoLeap,

        /// <summary><c>n</c>: day n (0 to 365) of the year counted from zero, February 29 counted.</summary>
        ZeroBased,

        /// <summary><c>Mm.w.d</c>: day d (0 Sunday to 6) of week w (1 to 5, 5 the last) of month m.</summary>
        MonthWeekDay,
    }

    private readonly record struct RuleDate(RuleDateKind Kind, int Month, int Week, int Day)
    {
        public DateTime In(int year)
        {
            var january1 = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            switch (Kind)
            {
                case RuleDateKind.JulianNoLeap:
                    return january1.AddDays(Day - 1 + (DateTime.IsLeapYear(year) && Day >= 60 ? 1 : 0));
                case RuleDateKind.ZeroBased:
                    return january1.AddDays(Day);
                default:
                    var first = new DateTime(year, Month, 1, 0, 0, 0, DateTimeKind.Utc);
                    var day = first.AddDays((Day - (int)first.DayOfWeek + 7) % 7 + (Week - 1) * 7);
                    while (day.Month != Month)
                    {
                        day = day.AddDays(-7);
                    }
                    return day;
            }
        }
    }

    private sealed class Reader(string text)
    {
        private int _position;

        public bool AtEnd => _position >= text.Length;

        public char Peek => AtEnd ? '\0' : text[_position];

        public FormatException Error(string problem) =>
            new($"invalid TZ string '{text}' in the footer: {problem} at position {_position}");

        public void Expect(char expected, string what)
        {
            if (Peek != expected)
            {
                throw Error($"expected {what}");
            }
            _position++;
        }

        /// <summary>A time designation: three or more letters, or <c>&lt;…&gt;</c> with letters, digits, '+' and '-'.</summary>
        public void Designation(string what)
        {
            var start = _position;
            if (Peek == '<')
            {
                _position++;
                while (!AtEnd && (char.IsAsciiLetterOrDigit(Peek) || Peek is '+' or '-'))
                {
                    _position++;
                }
                var length = _position - start - 1;
                Expect('>', $"a '>' closing the {what}'s name");
                if (length < 3)
                {
                    throw Error($"the {what}'s name has fewer than 3 characters");
                }
                return;
            }
            while (!AtEnd && char.IsAsciiLetter(Peek))
            {
                _position++;
            }
            if (_position - start < 3)
            {
                throw Error($"expected the {what}'s name (at least 3 letters)");
            }
        }

        /// <summary>A POSIX offset <c>[+|-]hh[:mm[:ss]]</c> (hours 0 to 24), in seconds west of Greenwich.</summary>
        public int Offset(string what) => Clock($"the {what}'s offset", maxHours: 24);

        /// <summary>A date and optional time (<c>/[+|-]hh[:mm[:ss]]</c>, default 02:00, hours -167 to 167).</summary>
        public (RuleDate Date, int Time) Change(string which)
        {
            RuleDate date;
            if (Peek == 'J')
            {
                _position++;
                date = new RuleDate(RuleDateKind.JulianNoLeap, 0, 0, Number($"the {which} day", 1, 365));
            }
            else if (Peek == 'M')
            {
                _position++;
                var month = Number($"the {which} month", 1, 12);
                Expect('.', $"'.' after the {which} month");
                var week = Number($"the {which} week", 1, 5);
                Expect('.', $"'.' after the {which} week");
                date = new RuleDate(RuleDateKind.MonthWeekDay, month, week, Number($"the {which} day of the week", 0, 6));
            }
            else
            {
                date = new RuleDate(RuleDateKind.ZeroBased, 0, 0, Number($"the {which} day", 0, 365));
            }
            var time = 2 * SecondsPerHour;
            if (Peek == '/')
            {
                _position++;
                time = Clock($"the {which} time", maxHours: 167);
            }
            return (date, time);
        }

        private int Clock(string what, int maxHours)
        {
            var sign = 1;
            if (Peek is '+' or '-')
            {
                sign = Peek == '-' ? -1 : 1;
                _position++;
            }
            var seconds = Number($"{what}'s hours", 0, maxHours) * SecondsPerHour;
            if (Peek == ':')
            {
                _position++;
                seconds += Number($"{what}'s minutes", 0, 59) * 60;
                if (Peek == ':')
                {
                    _position++;
                    seconds += Number($"{what}'s seconds", 0, 59);
                }
            }
            return sign * seconds;
        }

        private int Number(string what, int min, int max)
        {
            var start = _position;
            while (!AtEnd && char.IsAsciiDigit(Peek) && _position - start < 4)
            {
                _position++;
            }
            if (_position == start)
            {
                throw Error($"expected {what}");
            }
            var value = int.Parse(text.AsSpan(start, _position - start), NumberStyles.None, CultureInfo.InvariantCulture);
            if (value < min || value > max)
            {
                _position = start;
                throw Error($"{what} {value} is out of range ({min}-{max})");
            }
            return value;
        }
    }
}
