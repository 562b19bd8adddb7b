using Estuary.DevServer.Schedules;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Schedule.V1;

namespace Estuary.DevServer.Tests.Schedules;

/// <summary>How a schedule spec's times are computed, without a server.</summary>
public sealed class CompiledScheduleSpecTests
{
    private static DateTime Utc(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, DateTimeKind.Utc);

    private static List<DateTime> Times(ScheduleSpec spec, DateTime after, int count)
    {
        var compiled = CompiledScheduleSpec.Compile(spec);
        var times = new List<DateTime>();
        while (times.Count < count && compiled.NextTime(after, "seed") is { } next)
        {
            times.Add(next.Next);
            after = next.Next;
        }
        return times;
    }

    [Fact]
    public void NextTime_DailyAtHalfPastTwoInParisOverSpringForward_SkipsTheDayThatHasNoHalfPastTwo()
    {
        // Europe/Paris moves from 02:00 to 03:00 on 2030-03-31.
        var times = Times(new ScheduleSpec { CronString = { "30 2 * * *" }, TimezoneName = "Europe/Paris" }, Utc(2030, 3, 29, 12), 3);

        Assert.Equal([Utc(2030, 3, 30, 1, 30), Utc(2030, 4, 1, 0, 30), Utc(2030, 4, 2, 0, 30)], times);
    }

    [Fact]
    public void NextTime_DailyAtHalfPastTwoInParisOverFallBack_MatchesBothHalfPastTwos()
    {
        // Europe/Paris moves from 03:00 back to 02:00 on 2030-10-27.
        var times = Times(new ScheduleSpec { CronString = { "CRON_TZ=Europe/Paris 30 2 * * *" } }, Utc(2030, 10, 26, 12), 3);

        Assert.Equal([Utc(2030, 10, 27, 0, 30), Utc(2030, 10, 27, 1, 30), Utc(2030, 10, 28, 1, 30)], times);
    }

    [Fact]
    public void NextTime_WeekdaysWithAnExcludedDayBetweenStartAndEnd_ListsTheRemainingWeekdays()
    {
        var spec = new ScheduleSpec
        {
            Calendar = { new CalendarSpec { Hour = "9", DayOfWeek = "MON-FRI" } },
            ExcludeStructuredCalendar = { new StructuredCalendarSpec
            {
                Second = { new Temporalio.Api.Schedule.V1.Range { Start = 0 } },
                Minute = { new Temporalio.Api.Schedule.V1.Range { Start = 0 } },
                Hour = { new Temporalio.Api.Schedule.V1.Range { Start = 0, End = 23 } },
                DayOfMonth = { new Temporalio.Api.Schedule.V1.Range { Start = 3 } },
                Month = { new Temporalio.Api.Schedule.V1.Range { Start = 1, End = 12 } },
                DayOfWeek = { new Temporalio.Api.Schedule.V1.Range { Start = 0, End = 6 } },
            } },
            // 2030-06-01 is a Saturday.
            StartTime = Timestamp.FromDateTime(Utc(2030, 6, 1, 0)),
            EndTime = Timestamp.FromDateTime(Utc(2030, 6, 7, 9)),
        };

        var times = Times(spec, Utc(2029, 1, 1, 0), 10);

        Assert.Equal([Utc(2030, 6, 4, 9), Utc(2030, 6, 5, 9), Utc(2030, 6, 6, 9), Utc(2030, 6, 7, 9)], times);
    }

    [Fact]
    public void NextTime_HourlyIntervalWithJitter_DelaysEachTimeWithinTheJitterAndAlwaysTheSame()
    {
        var spec = new ScheduleSpec
        {
            Interval = { new IntervalSpec { Interval = Duration.FromTimeSpan(TimeSpan.FromHours(1)), Phase = Duration.FromTimeSpan(TimeSpan.FromMinutes(15)) } },
            Jitter = Duration.FromTimeSpan(TimeSpan.FromMinutes(30)),
        };
        var compiled = CompiledScheduleSpec.Compile(spec);

        var first = compiled.NextTime(Utc(2030, 1, 1, 0), "seed")!.Value;
        var again = compiled.NextTime(Utc(2030, 1, 1, 0), "seed")!.Value;

        Assert.Equal(Utc(2030, 1, 1, 0, 15), first.Nominal);
        Assert.InRange(first.Next, first.Nominal, first.Nominal.AddMinutes(30));
        Assert.Equal(first, again);
    }

    [Theory]
    [InlineData("@every 90m", "2030-01-01T01:30:00Z", "2030-01-01T03:00:00Z", "2030-01-01T04:30:00Z")]
    [InlineData("@daily", "2030-01-02T00:00:00Z", "2030-01-03T00:00:00Z", "2030-01-04T00:00:00Z")]
    [InlineData("0 12 * JAN-MAR MON,FRI # twice a week", "2030-01-04T12:00:00Z", "2030-01-07T12:00:00Z", "2030-01-11T12:00:00Z")]
    [InlineData("0 0 9 31 * * *", "2030-01-31T09:00:00Z", "2030-03-31T09:00:00Z", "2030-05-31T09:00:00Z")]
    public void NextTime_CronForms_MatchTheirTimes(string cron, params string[] expected)
    {
        // 2030-01-01 is a Tuesday.
        var times = Times(new ScheduleSpec { CronString = { cron } }, Utc(2030, 1, 1, 0), 3);

        Assert.Equal(expected.Select(t => DateTime.Parse(t, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal)), times);
    }

    [Theory]
    [InlineData("0 25 * * *", "25 is out of range in hour")]
    [InlineData("@sometimes", "unknown shorthand")]
    [InlineData("TZ=Nowhere/Atlantis 0 2 * * *", "unknown time zone 'Nowhere/Atlantis'")]
    public void Compile_InvalidCron_ThrowsFormatExceptionNamingTheProblem(string cron, string problem)
    {
        var error = Assert.Throws<FormatException>(() => CompiledScheduleSpec.Compile(new ScheduleSpec { CronString = { cron } }));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
