using System.CommandLine;
using System.Globalization;
using Estuary.Temporal.Schedules;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Exceptions;

namespace Estuary.Cli.Commands;

/// <summary>
/// <c>schedule list|describe|trigger|backfill|pause|unpause|delete</c>: look at and operate Temporal schedules, those the
/// domains declare (kept by their workers) and those made by hand. An unknown schedule id is invalid input (exit code 2).
/// </summary>
internal sealed class ScheduleCommand
{
    private readonly CommandContext _context;

    public ScheduleCommand(CommandContext context)
    {
        _context = context;
        Command = new Command("schedule", "Look at and operate schedules: list, describe, trigger, backfill, pause, unpause, delete.");
        Command.Subcommands.Add(ListCommand());
        Command.Subcommands.Add(DescribeCommand());
        Command.Subcommands.Add(Operation("trigger", "Start the schedule's workflow now, as if its time had come.", "triggered",
            (handle, _, rpc) => handle.TriggerAsync(new ScheduleTriggerOptions { Rpc = rpc }), "Triggered schedule '{0}'."));
        Command.Subcommands.Add(BackfillCommand());
        Command.Subcommands.Add(Operation("pause", "Pause the schedule: no workflow starts until it is unpaused.", "paused",
            (handle, note, rpc) => handle.PauseAsync(note, rpc), "Paused schedule '{0}'."));
        Command.Subcommands.Add(Operation("unpause", "Unpause the schedule.", "unpaused",
            (handle, note, rpc) => handle.UnpauseAsync(note, rpc), "Unpaused schedule '{0}'."));
        Command.Subcommands.Add(Operation("delete", "Delete the schedule (the workflows it started are not touched).", "deleted",
            (handle, _, rpc) => handle.DeleteAsync(rpc), "Deleted schedule '{0}'."));
    }

    public Command Command { get; }

    private static string Time(DateTime? time) =>
        time is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    private Command ListCommand()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON document, for success and failure alike." };
        var temporal = new TemporalCommandOptions(_context);
        var command = new Command("list", "List the namespace's schedules.") { json };
        temporal.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var connection = temporal.Resolve(parse);
            var client = await temporal.ConnectAsync(connection, cancellationToken);
            var schedules = new List<ScheduleListDescription>();
            try
            {
                await foreach (var schedule in client.ListSchedulesAsync(new ScheduleListOptions { Rpc = new() { CancellationToken = cancellationToken } }))
                {
                    schedules.Add(schedule);
                }
            }
            catch (RpcException e)
            {
                throw new CommandFailedException($"Temporal at {connection.Address} could not list schedules: {e.Message}", e);
            }

            schedules.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
            if (parse.GetValue(json))
            {
                await _context.Output.WriteLineAsync(CliJson.Serialize(new Dictionary<string, object?>
                {
                    ["schedules"] = schedules.Select(s => new Dictionary<string, object?>
                    {
                        ["scheduleId"] = s.Id,
                        ["workflowType"] = s.Schedule?.Action is ScheduleListActionStartWorkflow start ? start.Workflow : null,
                        ["paused"] = s.Schedule?.State.Paused,
                        ["nextActionTimes"] = s.Info?.NextActionTimes,
                    }).ToList(),
                }));
                return EstuaryCommandLine.Success;
            }

            if (schedules.Count == 0)
            {
                await _context.Output.WriteLineAsync("No schedules.");
                return EstuaryCommandLine.Success;
            }

            string[] header = ["SCHEDULE ID", "WORKFLOW", "STATE", "NEXT RUN"];
            var rows = schedules.Select(s => new[]
            {
                s.Id,
                s.Schedule?.Action is ScheduleListActionStartWorkflow start ? start.Workflow : "-",
                s.Schedule?.State.Paused == true ? "paused" : "active",
                Time(s.Info?.NextActionTimes.FirstOrDefault()),
            }).ToList();
            var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
            foreach (var row in rows.Prepend(header))
            {
                await _context.Output.WriteLineAsync(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
            }

            return EstuaryCommandLine.Success;
        });
        return command;
    }

    private Command DescribeCommand()
    {
        var target = new Target(_context);
        var command = target.Verb("describe", "Show a schedule's workflow, task queue, state, and its recent and next runs.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (handle, description) = await target.OpenAsync(parse, cancellationToken);
            var start = description.Schedule.Action as ScheduleActionStartWorkflow;
            var recent = description.Info.RecentActions.Select(a => new Dictionary<string, object?>
            {
                ["scheduledAt"] = a.ScheduledAt,
                ["workflowId"] = (a.Action as ScheduleActionExecutionStartWorkflow)?.WorkflowId,
            }).ToList();
            if (parse.GetValue(target.Json))
            {
                await _context.Output.WriteLineAsync(CliJson.Serialize(new Dictionary<string, object?>
                {
                    ["scheduleId"] = handle.Id,
                    ["workflowType"] = start?.Workflow,
                    ["taskQueue"] = start?.Options.TaskQueue,
                    ["paused"] = description.Schedule.State.Paused,
                    ["note"] = description.Schedule.State.Note,
                    ["actions"] = description.Info.NumActions,
                    ["recentActions"] = recent,
                    ["nextActionTimes"] = description.Info.NextActionTimes,
                }));
                return EstuaryCommandLine.Success;
            }

            var output = _context.Output;
            await output.WriteLineAsync($"Schedule {handle.Id}");
            await output.WriteLineAsync($"  workflow:    {start?.Workflow ?? "-"} on task queue {start?.Options.TaskQueue ?? "-"}");
            await output.WriteLineAsync($"  state:       {(description.Schedule.State.Paused ? "paused" : "active")}{(string.IsNullOrEmpty(description.Schedule.State.Note) ? string.Empty : $" ({description.Schedule.State.Note})")}");
            await output.WriteLineAsync($"  runs:        {description.Info.NumActions}");
            await output.WriteLineAsync($"  recent runs: {(recent.Count == 0 ? "-" : string.Join(", ", description.Info.RecentActions.Select(a => Time(a.ScheduledAt))))}");
            await output.WriteLineAsync($"  next runs:   {(description.Info.NextActionTimes.Count == 0 ? "-" : string.Join(", ", description.Info.NextActionTimes.Take(3).Select(t => Time(t))))}");
            return EstuaryCommandLine.Success;
        });
        return command;
    }

    private Command BackfillCommand()
    {
        var target = new Target(_context);
        var start = new Option<string>("--start") { Description = "The first time to run, ISO 8601 (e.g. 2030-01-01T00:00:00Z; UTC when no offset).", Required = true };
        var end = new Option<string>("--end") { Description = "The end of the period (a run due at this very time is included), ISO 8601.", Required = true };
        var overlap = new Option<string?>("--overlap")
        {
            Description = $"What to do when a run would overlap one still running: {string.Join(", ", ScheduleBackfillText.OverlapPolicies)} (default: the schedule's own policy).",
        };
        var command = target.Verb("backfill", "Run the schedule's workflow for every time it would have run in a past (or future) period.", start, end, overlap);
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Checked before anything is sent.
            DateTime from, to;
            ScheduleOverlapPolicy policy;
            try
            {
                from = ScheduleBackfillText.Instant(parse.GetRequiredValue(start), "Option '--start'");
                to = ScheduleBackfillText.Instant(parse.GetRequiredValue(end), "Option '--end'");
                ScheduleBackfillText.CheckPeriod(from, to, "Option '--end'", "'--start'");
                policy = ScheduleBackfillText.Overlap(parse.GetValue(overlap), "Option '--overlap'");
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message);
            }

            var (handle, _) = await target.OpenAsync(parse, cancellationToken);
            try
            {
                await handle.BackfillAsync([new ScheduleBackfill(from, to, policy)], new RpcOptions { CancellationToken = cancellationToken });
            }
            catch (RpcException e)
            {
                throw new CommandFailedException($"Temporal at {target.Connection?.Address} failed to backfill schedule '{handle.Id}': {e.Message}", e);
            }

            var overlapName = policy == ScheduleOverlapPolicy.Unspecified ? "the schedule's own" : policy.ToString();
            await _context.Output.WriteLineAsync(parse.GetValue(target.Json)
                ? CliJson.Serialize(new Dictionary<string, object?>
                {
                    ["scheduleId"] = handle.Id,
                    ["status"] = "backfilled",
                    ["start"] = Time(from),
                    ["end"] = Time(to),
                    ["overlap"] = policy == ScheduleOverlapPolicy.Unspecified ? null : policy.ToString(),
                })
                : $"Backfilled schedule '{handle.Id}' from {Time(from)} to {Time(to)} (overlap policy: {overlapName}).");
            return EstuaryCommandLine.Success;
        });
        return command;
    }

    private Command Operation(
        string name, string description, string status, Func<ScheduleHandle, string?, RpcOptions, Task> operate, string done)
    {
        var target = new Target(_context);
        var note = new Option<string?>("--note") { Description = "Why, kept as the schedule's note." };
        var command = name is "pause" or "unpause" ? target.Verb(name, description, note) : target.Verb(name, description);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (handle, _) = await target.OpenAsync(parse, cancellationToken);
            try
            {
                await operate(handle, parse.GetValue(note), new RpcOptions { CancellationToken = cancellationToken });
            }
            catch (RpcException e)
            {
                throw new CommandFailedException($"Temporal at {target.Connection?.Address} failed to {name} schedule '{handle.Id}': {e.Message}", e);
            }

            await _context.Output.WriteLineAsync(parse.GetValue(target.Json)
                ? CliJson.Serialize(new Dictionary<string, object?> { ["scheduleId"] = handle.Id, ["status"] = status })
                : string.Format(CultureInfo.InvariantCulture, done, handle.Id));
            return EstuaryCommandLine.Success;
        });
        return command;
    }

    // What the verbs taking a schedule id share: the id, --json, the Temporal options, and finding the schedule.
    private sealed class Target(CommandContext context)
    {
        private readonly TemporalCommandOptions _temporal = new(context);

        public Argument<string> Id { get; } = new("id") { Description = "The schedule id (see 'estuary schedule list')." };

        public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON document, for success and failure alike." };

        public Estuary.Temporal.Configuration.TemporalConnectionOptions? Connection { get; private set; }

        public Command Verb(string name, string description, params Option[] options)
        {
            var command = new Command(name, description) { Id, Json };
            foreach (var option in options)
            {
                command.Options.Add(option);
            }

            _temporal.AddTo(command);
            return command;
        }

        public async Task<(ScheduleHandle Handle, ScheduleDescription Description)> OpenAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var id = parse.GetRequiredValue(Id);
            if (string.IsNullOrWhiteSpace(id))
            {
                throw new UsageException("The schedule id must not be empty.");
            }

            var connection = _temporal.Resolve(parse);
            Connection = connection;
            var client = await _temporal.ConnectAsync(connection, cancellationToken);
            var handle = client.GetScheduleHandle(id);
            try
            {
                return (handle, await handle.DescribeAsync(new RpcOptions { CancellationToken = cancellationToken }));
            }
            catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
            {
                throw new UsageException($"No schedule '{id}' in namespace '{connection.Namespace}' at {connection.Address}.");
            }
            catch (RpcException e)
            {
                throw new CommandFailedException($"Temporal at {connection.Address} could not describe schedule '{id}': {e.Message}", e);
            }
        }
    }
}
