using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Exceptions;
using ProtoSchedule = Temporalio.Api.Schedule.V1;

namespace Estuary.DevServer.Tests;

/// <summary>
/// A schedule spec whose time zone is given as TZif data (<c>timezone_data</c>, which the SDK's <see cref="ScheduleSpec"/>
/// does not expose, so those schedules are created through the raw WorkflowService), against the same spec given
/// the zone's name. The data comes from the machine's time zone database.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class ScheduleTimeZoneDataTests(ServerFixture fixture)
{
    private const string ZoneInfo = "/usr/share/zoneinfo";

    private TemporalClient Client => fixture.Client;

    /// <summary>Every quarter hour from midnight to 04:45 on the zone's wall clock: the hours daylight saving changes.</summary>
    private static ScheduleCalendarSpec NightQuarterHours => new()
    {
        Minute = [new ScheduleRange(0, 45, 15)],
        Hour = [new ScheduleRange(0, 4)],
    };

    internal static byte[] ZoneFile(string name)
    {
        var path = Path.Combine(ZoneInfo, name);
        if (!File.Exists(path))
        {
            Assert.Skip($"{path} is not on this machine.");
        }
        return File.ReadAllBytes(path);
    }

    internal static CreateScheduleRequest CreateWithZoneData(TemporalClient client, string id, string label, byte[] data, ProtoSchedule.StructuredCalendarSpec calendar) => new()
    {
        Namespace = client.Options.Namespace,
        ScheduleId = id,
        RequestId = Guid.NewGuid().ToString(),
        Schedule = new ProtoSchedule.Schedule
        {
            Spec = new ProtoSchedule.ScheduleSpec { StructuredCalendar = { calendar }, TimezoneName = label, TimezoneData = ByteString.CopyFrom(data) },
            Action = new ProtoSchedule.ScheduleAction
            {
                StartWorkflow = new Temporalio.Api.Workflow.V1.NewWorkflowExecutionInfo
                {
                    WorkflowId = TestIds.New("wf"),
                    WorkflowType = new WorkflowType { Name = "ScheduledCounterWorkflow" },
                    TaskQueue = new TaskQueue { Name = TestIds.New("tq") },
                },
            },
            State = new ProtoSchedule.ScheduleState { Paused = true },
        },
    };

    internal static ProtoSchedule.StructuredCalendarSpec NightQuarterHoursProto => new()
    {
        Second = { new ProtoSchedule.Range { Start = 0 } },
        Minute = { new ProtoSchedule.Range { Start = 0, End = 45, Step = 15 } },
        Hour = { new ProtoSchedule.Range { Start = 0, End = 4 } },
        DayOfMonth = { new ProtoSchedule.Range { Start = 1, End = 31 } },
        Month = { new ProtoSchedule.Range { Start = 1, End = 12 } },
        DayOfWeek = { new ProtoSchedule.Range { Start = 0, End = 6 } },
    };

    internal static async Task<List<DateTime>> MatchingTimesAsync(TemporalClient client, string scheduleId, DateTime from, DateTime to) =>
        (await client.WorkflowService.ListScheduleMatchingTimesAsync(new ListScheduleMatchingTimesRequest
        {
            Namespace = client.Options.Namespace,
            ScheduleId = scheduleId,
            StartTime = Timestamp.FromDateTime(from),
            EndTime = Timestamp.FromDateTime(to),
        })).StartTime.Select(t => t.ToDateTime()).ToList();

    /// <summary>The days (UTC) on which the zone's offset changes in <paramref name="year"/>.</summary>
    private static List<DateTime> ChangeDays(TimeZoneInfo zone, int year)
    {
        var days = new List<DateTime>();
        for (var day = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc); day.Year == year; day = day.AddDays(1))
        {
            if (zone.GetUtcOffset(day) != zone.GetUtcOffset(day.AddDays(1)))
            {
                days.Add(day);
            }
        }
        return days;
    }

    [Theory]
    [InlineData("Europe/Berlin", 2030)]
    [InlineData("America/New_York", 2030)]
    [InlineData("Australia/Lord_Howe", 2030)]
    [InlineData("Europe/Berlin", 2045)]
    [InlineData("Australia/Lord_Howe", 2045)]
    public async Task ListScheduleMatchingTimes_TimezoneDataOfARealZoneAcrossItsChanges_EqualsTheSpecWithTheZoneName(string zone, int year)
    {
        var data = ZoneFile(zone);
        var byName = await Client.CreateScheduleAsync(TestIds.New("schedule"), new Schedule(
            ScheduleActionStartWorkflow.Create("ScheduledCounterWorkflow", [], new(TestIds.New("wf"), TestIds.New("tq"))),
            new ScheduleSpec { Calendars = [NightQuarterHours], TimeZoneName = zone }) { State = new ScheduleState { Paused = true } });
        var dataId = TestIds.New("schedule");
        await Client.WorkflowService.CreateScheduleAsync(CreateWithZoneData(Client, dataId, "label only", data, NightQuarterHoursProto));
        var byData = Client.GetScheduleHandle(dataId);
        try
        {
            var system = TimeZoneInfo.FindSystemTimeZoneById(zone);
            var changes = ChangeDays(system, year);
            Assert.Equal(2, changes.Count);
            foreach (var day in changes)
            {
                var expected = await MatchingTimesAsync(Client, byName.Id, day.AddDays(-2), day.AddDays(3));
                var actual = await MatchingTimesAsync(Client, dataId, day.AddDays(-2), day.AddDays(3));

                Assert.Equal(expected, actual);
                // The times span the change: some in each of the zone's offsets.
                Assert.Equal(2, actual.Select(t => system.GetUtcOffset(t)).Distinct().Count());
            }
            var description = await byData.DescribeAsync();
            Assert.Equal("label only", description.Schedule.Spec.TimeZoneName);
            Assert.Equal(
                (await byName.DescribeAsync()).Info.NextActionTimes,
                description.Info.NextActionTimes);
        }
        finally
        {
            await byName.DeleteAsync();
            await byData.DeleteAsync();
        }
    }

    [Fact]
    public async Task DescribeSchedule_TimezoneData_ShowsTheDataAndTheName()
    {
        var data = ZoneFile("America/New_York");
        var id = TestIds.New("schedule");
        await Client.WorkflowService.CreateScheduleAsync(CreateWithZoneData(Client, id, "America/New_York", data, NightQuarterHoursProto));
        try
        {
            var described = await Client.WorkflowService.DescribeScheduleAsync(new DescribeScheduleRequest { Namespace = Client.Options.Namespace, ScheduleId = id });

            Assert.Equal("America/New_York", described.Schedule.Spec.TimezoneName);
            Assert.Equal(data, described.Schedule.Spec.TimezoneData.ToByteArray());
        }
        finally
        {
            await Client.GetScheduleHandle(id).DeleteAsync();
        }
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("not TZif")]
    [InlineData("bad footer")]
    public async Task CreateSchedule_CorruptTimezoneData_ThrowsInvalidArgumentAndCreatesNothing(string corruption)
    {
        var data = ZoneFile("Europe/Berlin");
        data = corruption switch
        {
            "truncated" => data[..(data.Length / 2)],
            "not TZif" => [.. "<html>"u8, .. data],
            _ => [.. data[..^2], .. "x\n"u8],
        };
        var id = TestIds.New("schedule");

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.WorkflowService.CreateScheduleAsync(CreateWithZoneData(Client, id, "Europe/Berlin", data, NightQuarterHoursProto)));

        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        Assert.Contains("timezone_data", error.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<RpcException>(() => Client.GetScheduleHandle(id).DescribeAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, missing.Code);
    }
}
