using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Estuary.DevServer.Schedules;
using Google.Protobuf;
using Temporalio.Api.Schedule.V1;

namespace Estuary.DevServer.Tests.Schedules;

/// <summary>Time zones read from TZif data (a schedule spec's <c>timezone_data</c>), against the machine's own zones.</summary>
public sealed partial class TzifTimeZoneTests
{
    private const string ZoneInfo = "/usr/share/zoneinfo";

    private static byte[] ZoneFile(string name)
    {
        var path = Path.Combine(ZoneInfo, name);
        if (!File.Exists(path))
        {
            Assert.Skip($"{path} is not on this machine.");
        }
        return File.ReadAllBytes(path);
    }

    private static DateTime Utc(int year, int month, int day, int hour = 0, int minute = 0) => new(year, month, day, hour, minute, 0, DateTimeKind.Utc);

    /// <summary>The instants from 1970 to 2100 every 23 days and 7 hours, and the half hour around each of the zone's changes of offset seen between them.</summary>
    private static IEnumerable<DateTime> Samples(TimeZoneInfo zone)
    {
        for (var time = Utc(1970, 1, 1); time < Utc(2100, 1, 1); time = time.AddHours(23 * 24 + 7))
        {
            yield return time;
            var next = time.AddHours(23 * 24 + 7);
            if (zone.GetUtcOffset(time) != zone.GetUtcOffset(next))
            {
                // Narrow down to the change and look just before and after it.
                var (low, high) = (time, next);
                while (high - low > TimeSpan.FromSeconds(1))
                {
                    var middle = low + (high - low) / 2;
                    (low, high) = zone.GetUtcOffset(middle) == zone.GetUtcOffset(low) ? (middle, high) : (low, middle);
                }
                yield return low;
                yield return high;
                yield return high.AddMinutes(30);
            }
        }
    }

    [Fact]
    public void Parse_EveryZoneFileOnTheMachine_OffsetsEqualTheSystemZonesFrom1970To2100()
    {
        if (!Directory.Exists(ZoneInfo))
        {
            Assert.Skip($"{ZoneInfo} is not on this machine.");
        }
        var (parsed, compared) = (0, 0);
        var mismatches = new List<string>();
        foreach (var path in Directory.EnumerateFiles(ZoneInfo, "*", SearchOption.AllDirectories).Order())
        {
            var name = Path.GetRelativePath(ZoneInfo, path);
            var data = File.ReadAllBytes(path);
            if (data.Length < 44 || !data.AsSpan(0, 4).SequenceEqual("TZif"u8))
            {
                continue;
            }
            var zone = TzifTimeZone.Parse(data);
            parsed++;
            // posix/ repeats the zones; the leap-second variants (right/) count time otherwise than the machine's zones;
            // and those misread rule times from 24 h on or below 0 h (Africa/Cairo's /24, America/Nuuk's /-1, Asia/Jerusalem's
            // /26): those rules are checked against the rule's own dates below.
            if (name.StartsWith("right", StringComparison.Ordinal) || name.StartsWith("posix", StringComparison.Ordinal)
                || RuleTimeOutsideTheDay().IsMatch(Encoding.ASCII.GetString(data[data.AsSpan(0, data.Length - 1).LastIndexOf((byte)'\n')..]))
                || !TimeZoneInfo.TryFindSystemTimeZoneById(name, out var system))
            {
                continue;
            }
            foreach (var time in Samples(system))
            {
                // The machine's zones round offsets to the minute (Africa/Monrovia was UTC-00:44:30 until 1972).
                var offset = zone.OffsetAt(time);
                if (offset - TimeSpan.FromSeconds(offset.Seconds) != system.GetUtcOffset(time))
                {
                    mismatches.Add($"{name} at {time:O}: {zone.OffsetAt(time)} from the data, {system.GetUtcOffset(time)} from the system");
                    break;
                }
            }
            compared++;
        }

        Assert.True(compared > 300 && parsed > compared, $"{parsed} zone files parsed, {compared} compared");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    /// <summary>The quarter hours from midnight to 04:45 of each local day of <paramref name="year"/>, as instants, by .NET's reading of the zone.</summary>
    private static List<DateTime> NightQuarterHours(TimeZoneInfo zone, int year)
    {
        var instants = new List<DateTime>();
        for (var day = new DateTime(year, 1, 1); day.Year == year; day = day.AddDays(1))
        {
            for (var minutes = 0; minutes < 5 * 60; minutes += 15)
            {
                var local = day.AddMinutes(minutes);
                if (zone.IsInvalidTime(local))
                {
                    continue;
                }
                var offsets = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local) : [zone.GetUtcOffset(local)];
                instants.AddRange(offsets.Select(offset => DateTime.SpecifyKind(local - offset, DateTimeKind.Utc)));
            }
        }
        instants.Sort();
        return instants;
    }

    [Theory]
    [InlineData("Europe/Berlin")]
    [InlineData("America/New_York")]
    [InlineData("Australia/Lord_Howe")]
    [InlineData("Pacific/Chatham")]
    public void NextTime_EveryQuarterHourAtNightWithTheZonesData_SkipsAndRepeatsTheHoursTheZoneSkipsAndRepeats(string name)
    {
        var spec = CompiledScheduleSpec.Compile(new ScheduleSpec
        {
            Calendar = { new CalendarSpec { Second = "0", Minute = "*/15", Hour = "0-4" } },
            TimezoneData = ByteString.CopyFrom(ZoneFile(name)),
        });
        var system = TimeZoneInfo.FindSystemTimeZoneById(name);

        // Two years within the file's transitions and two beyond them (its footer rule).
        foreach (var year in new[] { 2026, 2030, 2040, 2061 })
        {
            var expected = NightQuarterHours(system, year);
            var actual = new List<DateTime>();
            for (var after = expected[0].AddSeconds(-1); actual.Count < expected.Count; after = actual[^1])
            {
                actual.Add(spec.NextTime(after, "seed")!.Value.Nominal);
            }
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void NextTime_DailyAtHalfPastOneInDublinOverFallBack_MatchesBothHalfPastOnes()
    {
        ZoneFile("Europe/Dublin");
        // Europe/Dublin's standard time is summer time (IST, UTC+1) and winter time the negative daylight saving time
        // (GMT): on 2030-10-27 02:00 IST becomes 01:00 GMT, so 01:30 happens twice.
        var spec = CompiledScheduleSpec.Compile(new ScheduleSpec { CronString = { "30 1 * * *" }, TimezoneName = "Europe/Dublin" });

        var first = spec.NextTime(Utc(2030, 10, 26, 12), "seed")!.Value.Nominal;
        var second = spec.NextTime(first, "seed")!.Value.Nominal;
        var third = spec.NextTime(second, "seed")!.Value.Nominal;

        Assert.Equal([Utc(2030, 10, 27, 0, 30), Utc(2030, 10, 27, 1, 30), Utc(2030, 10, 28, 1, 30)], [first, second, third]);
    }

    [Fact]
    public void Parse_VersionOneFile_ReadsTheTransitionsAndKeepsTheLastTypeAfterThem()
    {
        var berlin = ZoneFile("Europe/Berlin");
        var counts = Counts(berlin);
        var v1Length = 44 + counts.TimeCount * 5 + counts.TypeCount * 6 + counts.CharCount + counts.LeapCount * 8 + counts.IsStdCount + counts.IsUtCount;
        var v1 = berlin[..v1Length];
        v1[4] = 0;
        var system = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

        var zone = TzifTimeZone.Parse(v1);

        foreach (var time in new[] { Utc(1980, 7, 1), Utc(2010, 1, 15), Utc(2030, 3, 31, 0, 59), Utc(2030, 3, 31, 1), Utc(2037, 10, 25, 1) })
        {
            Assert.Equal(system.GetUtcOffset(time), zone.OffsetAt(time));
        }
        // The last transition (October 2037) is to CET, kept without a footer.
        Assert.Equal(TimeSpan.FromHours(1), zone.OffsetAt(Utc(2045, 7, 1)));
    }

    [Theory]
    [InlineData("CET-1CEST,M3.5.0,M10.5.0/3", "2040-03-25T01:00:00Z", 1, 2)]
    [InlineData("CET-1CEST,M3.5.0,M10.5.0/3", "2040-10-28T01:00:00Z", 2, 1)]
    [InlineData("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2040-10-06T15:30:00Z", 10.5, 11)]
    [InlineData("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2040-03-31T15:00:00Z", 11, 10.5)]
    [InlineData("EST5EDT", "2040-03-11T07:00:00Z", -5, -4)]
    [InlineData("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2040-03-25T01:00:00Z", -2, -1)]
    [InlineData("IST-2IDT,M3.4.4/26,M10.5.0", "2040-03-23T00:00:00Z", 2, 3)]
    [InlineData("EET-2EEST,M4.5.5/0,M10.5.4/24", "2040-10-25T21:00:00Z", 3, 2)]
    [InlineData("<-04>4<-03>,M9.1.6/24,M4.1.6/24", "2040-09-02T04:00:00Z", -4, -3)]
    [InlineData("IST-1GMT0,M10.5.0,M3.5.0/1", "2040-10-28T01:00:00Z", 1, 0)]
    [InlineData("EST5EDT,0/0,J365/25", "2040-06-01T00:00:00Z", -4, -4)]
    [InlineData("<+0530>-5:30", "2040-06-01T00:00:00Z", 5.5, 5.5)]
    public void OffsetAt_FooterRule_ChangesAtTheRulesTime(string tz, string change, double hoursBefore, double hoursAfter)
    {
        var rule = PosixTimeZoneRule.Parse(tz);
        var at = DateTimeOffset.Parse(change, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds();

        Assert.Equal((hoursBefore, hoursAfter), (rule.OffsetAt(at - 1) / 3600.0, rule.OffsetAt(at) / 3600.0));
    }

    [Theory]
    [InlineData("", "expected the standard time's name")]
    [InlineData("CE-1", "expected the standard time's name")]
    [InlineData("CET", "expected the standard time's offset's hours")]
    [InlineData("CET25", "the standard time's offset's hours 25 is out of range")]
    [InlineData("CET-1CEST,M13.5.0,M10.5.0/3", "the start month 13 is out of range")]
    [InlineData("CET-1CEST,M3.5.0", "expected a ',' before the date daylight saving time ends")]
    [InlineData("CET-1CEST,M3.5.0,M10.5.0/3x", "unexpected text after the end rule")]
    [InlineData("<+1>-1", "fewer than 3 characters")]
    public void Parse_InvalidTzString_NamesTheProblem(string tz, string problem)
    {
        var error = Assert.Throws<FormatException>(() => PosixTimeZoneRule.Parse(tz));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CorruptData_NamesTheProblem()
    {
        var berlin = ZoneFile("Europe/Berlin");
        string Problem(byte[] data) => Assert.Throws<FormatException>(() => TzifTimeZone.Parse(data)).Message;

        Assert.Contains("does not start with \"TZif\"", Problem("TZXX"u8.ToArray().Concat(berlin[4..]).ToArray()), StringComparison.Ordinal);
        Assert.Contains("truncated in the header", Problem(berlin[..20]), StringComparison.Ordinal);
        Assert.Contains("truncated", Problem(berlin[..(berlin.Length / 2)]), StringComparison.Ordinal);
        Assert.Contains("footer's TZ string does not end with a newline", Problem(berlin[..^1]), StringComparison.Ordinal);
        var badFooter = berlin[..^2].Concat("Q\n"u8.ToArray()).ToArray();
        Assert.Contains("invalid TZ string 'CET-1CEST,M3.5.0,M10.5.0/Q'", Problem(badFooter), StringComparison.Ordinal);
        var unknownVersion = berlin.ToArray();
        unknownVersion[4] = (byte)'9';
        Assert.Contains("unknown version byte 0x39", Problem(unknownVersion), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"/(-|2[4-9]|[3-9][0-9]|1[0-9][0-9])")]
    private static partial Regex RuleTimeOutsideTheDay();

    private static (int IsUtCount, int IsStdCount, int LeapCount, int TimeCount, int TypeCount, int CharCount) Counts(byte[] file)
    {
        int Count(int i) => (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(20 + 4 * i, 4));
        return (Count(0), Count(1), Count(2), Count(3), Count(4), Count(5));
    }
}
