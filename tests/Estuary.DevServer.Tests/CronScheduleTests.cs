using System.Globalization;
using Estuary.DevServer.Time;

namespace Estuary.DevServer.Tests;

/// <summary>The cron parser on its own: the next scheduled time after a given UTC time.</summary>
public sealed class CronScheduleTests
{
    [Theory]
    [InlineData("0 * * * *", "2026-11-26T03:00:00Z", "2026-11-26T04:00:00Z")]
    [InlineData("*/15 * * * *", "2026-11-26T03:07:30Z", "2026-11-26T03:15:00Z")]
    [InlineData("10-50/20 * * * *", "2026-11-26T03:31:00Z", "2026-11-26T03:50:00Z")]
    [InlineData("30 9 * * MON-FRI", "2026-11-27T10:00:00Z", "2026-11-30T09:30:00Z")]
    [InlineData("0 0 * * 7", "2026-11-26T00:00:00Z", "2026-11-29T00:00:00Z")]
    [InlineData("0 0 13 * FRI", "2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z")]
    [InlineData("0 0 29 FEB ?", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("0 12 1,15 * *", "2026-11-26T00:00:00Z", "2026-12-01T12:00:00Z")]
    [InlineData("@yearly", "2026-11-26T03:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData("@monthly", "2026-11-26T03:00:00Z", "2026-12-01T00:00:00Z")]
    [InlineData("@weekly", "2026-11-26T03:00:00Z", "2026-11-29T00:00:00Z")]
    [InlineData("@daily", "2026-11-26T03:00:00Z", "2026-11-27T00:00:00Z")]
    [InlineData("@hourly", "2026-11-26T03:59:59.9Z", "2026-11-26T04:00:00Z")]
    [InlineData("@every 1h30m", "2026-11-26T03:00:00.5Z", "2026-11-26T04:30:00Z")]
    public void Next_ValidSchedule_IsTheFirstMatchingTimeAfter(string spec, string after, string expected)
    {
        var next = CronSchedule.Parse(spec).Next(Utc(after));
        Assert.Equal(Utc(expected), next);
    }

    [Fact]
    public void Next_ScheduleThatNeverMatches_IsNull() =>
        Assert.Null(CronSchedule.Parse("0 0 30 2 *").Next(Utc("2026-11-26T00:00:00Z")));

    [Theory]
    [InlineData("5-1 * * * *", "runs backwards")]
    [InlineData("* 24 * * *", "hour")]
    [InlineData("*/0 * * * *", "step")]
    [InlineData("* * 0 * *", "day of month")]
    [InlineData("* * * * MONDAY", "day of week")]
    [InlineData("@every 1x", "@every")]
    public void Parse_InvalidSchedule_NamesTheProblem(string spec, string named)
    {
        var error = Assert.Throws<FormatException>(() => CronSchedule.Parse(spec));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    private static DateTime Utc(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
