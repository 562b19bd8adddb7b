using System.Text.Json;
using Estuary.Cli.Commands;
using Estuary.Tests.Infrastructure;
using Temporalio.Client;
using Temporalio.Client.Schedules;

namespace Estuary.Tests.Commands;

/// <summary><c>schedule &lt;verb&gt;</c> against a schedule of its own.</summary>
[Collection(UsesTemporal.Name)]
public sealed class ScheduleCommandTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Schedule_ListPauseTriggerDelete_OperateTheSchedule()
    {
        var id = $"orders-nightly-{Guid.NewGuid():N}";
        var taskQueue = $"schedule-cli-{Guid.NewGuid():N}";
        var handle = await fixture.Client.CreateScheduleAsync(
            id,
            new Schedule(
                ScheduleActionStartWorkflow.Create((OrderWorkflow wf) => wf.RunAsync(new OrderInput("nightly")), new(id, taskQueue) { RunTimeout = TimeSpan.FromMinutes(5) }),
                new ScheduleSpec { CronExpressions = ["0 0 1 1 *"] }));

        var list = await RunAsync("schedule", "list", "--json");
        var pause = await RunAsync("schedule", "pause", id, "--note", "inventory");
        var paused = await handle.DescribeAsync();
        var trigger = await RunAsync("schedule", "trigger", id);
        var triggered = await Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Info.NumActions == 1, "the triggered run");
        var describe = await RunAsync("schedule", "describe", id, "--json");
        var delete = await RunAsync("schedule", "delete", id);
        var gone = await RunAsync("schedule", "describe", id);
        foreach (var action in triggered.Info.RecentActions)
        {
            await fixture.Client.GetWorkflowHandle(((ScheduleActionExecutionStartWorkflow)action.Action).WorkflowId).TerminateAsync("test done");
        }

        Assert.True(list.ExitCode == EstuaryCommandLine.Success, list.Error);
        using (var document = JsonDocument.Parse(list.Output))
        {
            var listed = Assert.Single(document.RootElement.GetProperty("schedules").EnumerateArray(), s => s.GetProperty("scheduleId").GetString() == id);
            Assert.Equal("OrderWorkflow", listed.GetProperty("workflowType").GetString());
        }

        Assert.Equal(($"Paused schedule '{id}'.{Environment.NewLine}", true, "inventory"), (pause.Output, paused.Schedule.State.Paused, paused.Schedule.State.Note));
        Assert.Equal(EstuaryCommandLine.Success, trigger.ExitCode);
        using (var document = JsonDocument.Parse(describe.Output))
        {
            var root = document.RootElement;
            Assert.Equal(("OrderWorkflow", taskQueue, true, 1), (root.GetProperty("workflowType").GetString(), root.GetProperty("taskQueue").GetString(), root.GetProperty("paused").GetBoolean(), root.GetProperty("actions").GetInt32()));
        }

        Assert.Equal(EstuaryCommandLine.Success, delete.ExitCode);
        Assert.Equal(EstuaryCommandLine.Usage, gone.ExitCode);
        Assert.Equal($"error: No schedule '{id}' in namespace 'default' at {fixture.Address}.{Environment.NewLine}", gone.Error);
    }

    [Fact]
    public async Task ScheduleBackfill_ThreeYearsAllowAll_StartsTheRunsDueInThePeriod()
    {
        var id = $"orders-yearly-{Guid.NewGuid():N}";
        var taskQueue = $"schedule-cli-{Guid.NewGuid():N}";
        var handle = await fixture.Client.CreateScheduleAsync(
            id,
            new Schedule(
                ScheduleActionStartWorkflow.Create((OrderWorkflow wf) => wf.RunAsync(new OrderInput("yearly")), new(id, taskQueue) { RunTimeout = TimeSpan.FromMinutes(5) }),
                new ScheduleSpec { CronExpressions = ["0 0 1 1 *"] }));

        var backfill = await RunAsync("schedule", "backfill", id, "--start", "2020-01-01T00:00:00Z", "--end", "2022-01-01T00:00:00Z", "--overlap", "allow-all", "--json");
        var described = await Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Info.NumActions == 3, "the three backfilled runs");
        foreach (var action in described.Info.RecentActions)
        {
            await fixture.Client.GetWorkflowHandle(((ScheduleActionExecutionStartWorkflow)action.Action).WorkflowId).TerminateAsync("test done");
        }

        await handle.DeleteAsync();

        Assert.True(backfill.ExitCode == EstuaryCommandLine.Success, backfill.Error);
        using (var document = JsonDocument.Parse(backfill.Output))
        {
            var root = document.RootElement;
            Assert.Equal(("backfilled", "2020-01-01T00:00:00Z", "2022-01-01T00:00:00Z", "AllowAll"),
                (root.GetProperty("status").GetString(), root.GetProperty("start").GetString(), root.GetProperty("end").GetString(), root.GetProperty("overlap").GetString()));
        }

        Assert.Equal([2020, 2021, 2022], described.Info.RecentActions.Select(a => a.ScheduledAt.ToUniversalTime().Year).Order());
    }

    [Fact]
    public async Task ScheduleBackfill_EndBeforeStartOrUnknownOverlap_ExitsTwoAndStartsNothing()
    {
        var id = $"orders-yearly-{Guid.NewGuid():N}";
        var handle = await fixture.Client.CreateScheduleAsync(
            id,
            new Schedule(
                ScheduleActionStartWorkflow.Create((OrderWorkflow wf) => wf.RunAsync(new OrderInput("yearly")), new(id, $"schedule-cli-{Guid.NewGuid():N}")),
                new ScheduleSpec { CronExpressions = ["0 0 1 1 *"] }));

        var backwards = await RunAsync("schedule", "backfill", id, "--start", "2028-01-01T00:00:00Z", "--end", "2026-01-01T00:00:00Z");
        var overlap = await RunAsync("schedule", "backfill", id, "--start", "2026-01-01T00:00:00Z", "--end", "2028-01-01T00:00:00Z", "--overlap", "sometimes");
        var date = await RunAsync("schedule", "backfill", id, "--start", "new year", "--end", "2028-01-01T00:00:00Z");
        var described = await handle.DescribeAsync();
        await handle.DeleteAsync();

        Assert.Equal((EstuaryCommandLine.Usage, $"error: Option '--end' must be after '--start', got 2028-01-01T00:00:00Z to 2026-01-01T00:00:00Z.{Environment.NewLine}"), (backwards.ExitCode, backwards.Error));
        Assert.Equal((EstuaryCommandLine.Usage, $"error: Option '--overlap' must be one of Skip, BufferOne, BufferAll, CancelOther, TerminateOther, AllowAll, got 'sometimes'.{Environment.NewLine}"), (overlap.ExitCode, overlap.Error));
        Assert.Equal(EstuaryCommandLine.Usage, date.ExitCode);
        Assert.Contains("Option '--start' must be a date and time", date.Error, StringComparison.Ordinal);
        Assert.Equal(0, described.Info.NumActions);
    }

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) =>
        CommandLineRunner.RunAsync([new OrdersDomain()], [.. args, "--address", fixture.Address]);
}
