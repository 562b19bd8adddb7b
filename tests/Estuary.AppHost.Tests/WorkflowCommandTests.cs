using System.Globalization;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Estuary.Testing;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.AppHost.Tests;

/// <summary>The workers' dashboard commands, run through Aspire's command API with the dialogs answered as a user would.</summary>
[Collection(AppHostTestGroup.Name)]
public sealed class WorkflowCommandTests(AppHostFixture fixture)
{
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task StartWorkflowCommand_ExampleWorkflowEntityIdTyped_CompletesAndLinksToItsTemporalUiPage()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var database = $"{await fixture.App.GetConnectionStringAsync("example-db")};Pooling=false";
        var entityId = await AppHostTests.InsertEntityAsync(database, $"apphost-command-{Guid.NewGuid():N}");

        var (id, result) = await StartAsync(fixture, "example-worker", "ExampleWorkflow", new() { ["entityId"] = entityId.ToString(CultureInfo.InvariantCulture) });

        // The run method's int parameter was a number input, and the answer links to the workflow's page.
        var dialog = fixture.Dialogs.Dialogs.Last(d => d.Title == "Start ExampleWorkflow");
        Assert.Equal(InputType.Number, Assert.Single(dialog.Inputs).InputType);
        Assert.Equal(CommandResultFormat.Markdown, result.Data!.Format);
        Assert.Contains($":{fixture.TemporalPort + 1000}/namespaces/default/workflows/{id})", result.Data.Value, StringComparison.Ordinal);
        var workflowResult = await (await ClientAsync()).GetWorkflowHandle(id).GetResultAsync<JsonElement>(rpcOptions: Timeout());
        Assert.Equal("completed", workflowResult.GetProperty("Status").GetString());
        Assert.Equal("processed", await AppHostTests.ReadStatusAsync(database, entityId));
    }

    [Fact]
    public async Task StartWorkflowCommand_BookingWithUnknownMember_FailsNamingItAndStartsNothing()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var id = $"apphost-bad-booking-{Guid.NewGuid():N}";
        fixture.Dialogs.Answer(new Dictionary<string, string?> { ["input"] = Booking($"B-{Guid.NewGuid():N}").Replace("{", "{\"colour\":\"red\",", StringComparison.Ordinal) });

        var result = await ExecuteAsync(fixture, "bookings-worker", WorkflowCommandExtensions.StartCommand, new()
        {
            [WorkflowCommandExtensions.WorkflowArgument] = "BookingWorkflow",
            [WorkflowCommandExtensions.IdArgument] = id,
        });

        Assert.False(result.Success);
        Assert.Contains("unknown member 'colour'", result.Message, StringComparison.Ordinal);
        // The record's input was JSON text with an example of every member.
        var input = Assert.Single(fixture.Dialogs.Dialogs.Last(d => d.Title == "Start BookingWorkflow").Inputs);
        Assert.Equal(InputType.Text, input.InputType);
        Assert.Contains("\"startsAt\":\"2030-01-01T09:00:00Z\"", input.Placeholder, StringComparison.Ordinal);
        await AssertNoWorkflowAsync(id);
    }

    [Fact]
    public async Task StartWorkflowCommand_NoDialogToTypeArgumentsIn_FailsAndStartsNothing()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var id = $"apphost-no-dialog-{Guid.NewGuid():N}";

        var result = await ExecuteAsync(fixture, "example-worker", WorkflowCommandExtensions.StartCommand, new()
        {
            [WorkflowCommandExtensions.WorkflowArgument] = "ExampleWorkflow",
            [WorkflowCommandExtensions.IdArgument] = id,
        });

        Assert.False(result.Success);
        Assert.Contains("typed in the dashboard's dialog", result.Message, StringComparison.Ordinal);
        await AssertNoWorkflowAsync(id);
    }

    [Fact]
    public async Task WorkflowCommands_RunningBooking_QueriedRefusedUnknownSignalThenCancelledBySignal()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var reference = $"B-{Guid.NewGuid():N}";
        fixture.Dialogs.Answer(new Dictionary<string, string?> { ["input"] = Booking(reference) });
        var (id, _) = await StartAsync(fixture, "bookings-worker", "BookingWorkflow", null);
        var client = await ClientAsync();

        var query = await ExecuteAsync(fixture, "bookings-worker", WorkflowCommandExtensions.QueryCommand, new()
        {
            [WorkflowCommandExtensions.IdArgument] = id,
            [WorkflowCommandExtensions.HandlerArgument] = "State",
        });
        Assert.True(query.Success, query.Message);
        Assert.Equal(CommandResultFormat.Json, query.Data!.Format);
        Assert.Equal(reference, JsonDocument.Parse(query.Data.Value).RootElement.GetProperty("Reference").GetString());

        // A signal BookingWorkflow does not define, and a workflow another worker serves: refused, nothing sent.
        var unknown = await ExecuteAsync(fixture, "bookings-worker", WorkflowCommandExtensions.SignalCommand, new()
        {
            [WorkflowCommandExtensions.IdArgument] = id,
            [WorkflowCommandExtensions.HandlerArgument] = "Nope",
        });
        Assert.False(unknown.Success);
        var elsewhere = await ExecuteAsync(fixture, "example-worker", WorkflowCommandExtensions.SignalCommand, new()
        {
            [WorkflowCommandExtensions.IdArgument] = id,
            [WorkflowCommandExtensions.HandlerArgument] = "Cancel",
        });
        Assert.False(elsewhere.Success);
        Assert.DoesNotContain((await client.GetWorkflowHandle(id).FetchHistoryAsync()).Events, e => e.EventType == EventType.WorkflowExecutionSignaled);

        fixture.Dialogs.Answer(new Dictionary<string, string?> { ["request"] = """{"reason": "client is ill"}""" });
        var signal = await ExecuteAsync(fixture, "bookings-worker", WorkflowCommandExtensions.SignalCommand, new()
        {
            [WorkflowCommandExtensions.IdArgument] = id,
            [WorkflowCommandExtensions.HandlerArgument] = "Cancel",
        });
        Assert.True(signal.Success, signal.Message);

        var state = await client.GetWorkflowHandle(id).GetResultAsync<JsonElement>(rpcOptions: Timeout());
        Assert.Equal("client is ill", state.GetProperty("CancellationReason").GetString());
    }

    [Fact]
    public async Task TerminateWorkflowCommand_RunningBooking_TerminatedWithReason()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        fixture.Dialogs.Answer(new Dictionary<string, string?> { ["input"] = Booking($"B-{Guid.NewGuid():N}") });
        var (id, _) = await StartAsync(fixture, "bookings-worker", "BookingWorkflow", null);

        var unknown = await ExecuteAsync(fixture, "bookings-worker", WorkflowCommandExtensions.TerminateCommand, new()
        {
            [WorkflowCommandExtensions.IdArgument] = $"no-such-workflow-{Guid.NewGuid():N}",
        });
        Assert.False(unknown.Success);

        var terminated = await ExecuteAsync(fixture, "bookings-worker", WorkflowCommandExtensions.TerminateCommand, new()
        {
            [WorkflowCommandExtensions.IdArgument] = id,
            [WorkflowCommandExtensions.ReasonArgument] = "test over",
        });

        Assert.True(terminated.Success, terminated.Message);
        var history = await (await ClientAsync()).GetWorkflowHandle(id).FetchHistoryAsync();
        var last = history.Events.Last();
        Assert.Equal(EventType.WorkflowExecutionTerminated, last.EventType);
        Assert.Equal("test over", last.WorkflowExecutionTerminatedEventAttributes.Reason);
    }

    [Fact]
    public async Task ScheduleCommands_ScheduleOfExampleWorkflow_PausedUnpausedTriggeredAndBackfilled()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var database = $"{await fixture.App.GetConnectionStringAsync("example-db")};Pooling=false";
        var entityId = await AppHostTests.InsertEntityAsync(database, $"apphost-schedule-{Guid.NewGuid():N}");
        var id = $"apphost-schedule-{Guid.NewGuid():N}";
        var client = await ClientAsync();
        var handle = await client.CreateScheduleAsync(id, new Temporalio.Client.Schedules.Schedule(
            Temporalio.Client.Schedules.ScheduleActionStartWorkflow.Create("ExampleWorkflow", [entityId], new WorkflowOptions(id, "example")),
            new Temporalio.Client.Schedules.ScheduleSpec { CronExpressions = ["0 0 1 1 *"] }));
        Dictionary<string, string?> Schedule(params (string Name, string Value)[] more) =>
            new(more.Select(m => KeyValuePair.Create(m.Name, (string?)m.Value)).Prepend(KeyValuePair.Create(WorkflowCommandExtensions.ScheduleArgument, (string?)id)));

        try
        {
            var pause = await ExecuteAsync(fixture, "example-worker", WorkflowCommandExtensions.PauseScheduleCommand, Schedule((WorkflowCommandExtensions.NoteArgument, "inventory")));
            var paused = (await handle.DescribeAsync()).Schedule.State;
            var unpause = await ExecuteAsync(fixture, "example-worker", WorkflowCommandExtensions.UnpauseScheduleCommand, Schedule());
            var unpaused = (await handle.DescribeAsync()).Schedule.State;
            var elsewhere = await ExecuteAsync(fixture, "bookings-worker", WorkflowCommandExtensions.TriggerScheduleCommand, Schedule());
            var backwards = await ExecuteAsync(fixture, "example-worker", WorkflowCommandExtensions.BackfillScheduleCommand,
                Schedule((WorkflowCommandExtensions.StartArgument, "2027-01-01T00:00:00Z"), (WorkflowCommandExtensions.EndArgument, "2026-01-01T00:00:00Z")));
            var trigger = await ExecuteAsync(fixture, "example-worker", WorkflowCommandExtensions.TriggerScheduleCommand, Schedule());
            await Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Info.NumActions == 1, "the triggered run");
            var backfill = await ExecuteAsync(fixture, "example-worker", WorkflowCommandExtensions.BackfillScheduleCommand,
                Schedule((WorkflowCommandExtensions.StartArgument, "2020-01-01T00:00:00Z"), (WorkflowCommandExtensions.EndArgument, "2021-01-01T00:00:00Z"), (WorkflowCommandExtensions.OverlapArgument, "AllowAll")));
            var described = await Eventually.PollAsync(() => handle.DescribeAsync(), d => d.Info.NumActions == 3, "the two backfilled runs");

            Assert.True(pause.Success, pause.Message);
            Assert.Equal((true, "inventory"), (paused.Paused, paused.Note));
            Assert.True(unpause.Success, unpause.Message);
            Assert.False(unpaused.Paused);
            Assert.False(elsewhere.Success);
            Assert.False(backwards.Success);
            Assert.True(trigger.Success, trigger.Message);
            Assert.True(backfill.Success, backfill.Message);
            // The triggered run is scheduled now; the backfilled ones at the times they were due.
            Assert.Equal([2020, 2021], described.Info.RecentActions.Select(a => a.ScheduledAt.ToUniversalTime().Year).Where(year => year <= 2021).Order());
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    /// <summary>Runs "Start workflow" on a worker, answering its arguments dialog with <paramref name="arguments"/> (none:
    /// already queued by the caller), and asserts it succeeded.</summary>
    /// <param name="fixture">The AppHost.</param>
    /// <param name="worker">The worker resource.</param>
    /// <param name="workflow">The workflow type.</param>
    /// <param name="arguments">The value typed for each run-method parameter, by name.</param>
    /// <returns>The workflow id and the command's result.</returns>
    internal static async Task<(string Id, ExecuteCommandResult Result)> StartAsync(
        AppHostFixture fixture, string worker, string workflow, Dictionary<string, string?>? arguments)
    {
        var id = $"apphost-{Guid.NewGuid():N}";
        if (arguments is not null)
        {
            fixture.Dialogs.Answer(arguments);
        }

        var result = await ExecuteAsync(fixture, worker, WorkflowCommandExtensions.StartCommand, new()
        {
            [WorkflowCommandExtensions.WorkflowArgument] = workflow,
            [WorkflowCommandExtensions.IdArgument] = id,
        });
        Assert.True(result.Success, result.Message);
        Assert.Contains(id, result.Message, StringComparison.Ordinal);
        return (id, result);
    }

    private static Task<ExecuteCommandResult> ExecuteAsync(AppHostFixture fixture, string worker, string command, Dictionary<string, string?> arguments) =>
        fixture.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(
            fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == worker),
            command,
            new InteractionInputCollection([.. arguments.Select(a => new InteractionInput { Name = a.Key, InputType = InputType.Text, Value = a.Value })]),
            CancellationToken.None);

    // A booking far enough ahead that it waits for its session; its own practitioner, so no other booking collides.
    private static string Booking(string reference) =>
        $$"""{"reference":"{{reference}}","client":"ada@example.com","practitioner":"dr-{{reference}}","service":"massage-60","startsAt":"2031-06-01T09:00:00Z","duration":"01:00:00","priceMinor":6000,"currency":"EUR"}""";

    private async Task AssertNoWorkflowAsync(string id)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => ClientAsync().ContinueWith(c => c.Result.GetWorkflowHandle(id).DescribeAsync(), TaskScheduler.Default).Unwrap());
        Assert.Equal(RpcException.StatusCode.NotFound, error.Code);
    }

    private async Task<TemporalClient> ClientAsync() =>
        await TemporalClient.ConnectAsync(new TemporalClientConnectOptions((await fixture.App.GetConnectionStringAsync("temporal"))!) { DataConverter = fixture.DataConverter });

    private static RpcOptions Timeout() => new() { CancellationToken = new CancellationTokenSource(HealthyTimeout).Token };
}
