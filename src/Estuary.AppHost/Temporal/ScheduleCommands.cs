using Aspire.Hosting.ApplicationModel;
using Estuary.Temporal.Commands;
using Estuary.Temporal.Schedules;
using Microsoft.Extensions.Logging;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Exceptions;

namespace Aspire.Hosting;

/// <summary>What the schedule commands of <see cref="WorkflowCommandExtensions.WithWorkflowCommands"/> do for one worker:
/// operate the schedules that start one of its workflows (those its domains declare, and those made by hand).</summary>
/// <param name="worker">The worker's resource name.</param>
/// <param name="catalog">The worker's catalog.</param>
/// <param name="temporal">The AppHost's Temporal client.</param>
internal sealed class ScheduleCommands(string worker, WorkerCatalogClient catalog, TemporalCommandClient temporal)
{
    private const string Schedule = WorkflowCommandExtensions.ScheduleArgument;
    private const string Start = WorkflowCommandExtensions.StartArgument;
    private const string End = WorkflowCommandExtensions.EndArgument;
    private const string Overlap = WorkflowCommandExtensions.OverlapArgument;

    /// <summary>The choice of the schedules starting one of the worker's workflows, listed when the dialog opens.</summary>
    /// <returns>The input.</returns>
    public InteractionInput ScheduleChoice() => new()
    {
        Name = Schedule,
        Label = "Schedule",
        InputType = InputType.Choice,
        Required = true,
        AllowCustomChoice = true,
        DynamicLoading = new InputLoadOptions
        {
            AlwaysLoadOnStart = true,
            LoadCallback = async context =>
            {
                try
                {
                    var workflows = await catalog.GetAsync(context.CancellationToken);
                    var (client, _) = await temporal.GetAsync(context.CancellationToken);
                    var options = new List<KeyValuePair<string, string>>();
                    await foreach (var listed in client.ListSchedulesAsync(new ScheduleListOptions { Rpc = new RpcOptions { CancellationToken = context.CancellationToken } }))
                    {
                        if (listed.Schedule?.Action is ScheduleListActionStartWorkflow start && workflows.Find(start.Workflow) is not null)
                        {
                            options.Add(KeyValuePair.Create(listed.Id, $"{listed.Id} ({start.Workflow})"));
                        }
                    }

                    context.Input.Options = [.. options.OrderBy(o => o.Key, StringComparer.Ordinal)];
                }
                catch (Exception e) when (e is TemporalException or InvalidOperationException)
                {
                    // The validation names the problem.
                    context.Input.Options = [];
                }
            },
        },
    };

    /// <summary>Validates a schedule dialog: a schedule that exists and starts one of this worker's workflows; for a
    /// backfill, a period and an overlap policy.</summary>
    /// <param name="context">The dialog's inputs.</param>
    /// <returns>A task.</returns>
    public async Task ValidateAsync(InputsDialogValidationContext context)
    {
        if (await ProblemAsync(context.Inputs.GetString(Schedule), context.CancellationToken) is { } problem)
        {
            context.AddValidationError(Schedule, problem);
        }

        if (!context.Inputs.ContainsName(Start))
        {
            return;
        }

        try
        {
            ReadBackfill(context.Inputs);
        }
        catch (BackfillInputException e)
        {
            context.AddValidationError(e.Input, e.Message);
        }
    }

    /// <summary>Starts the schedule's workflow now.</summary>
    /// <param name="context">The command's context.</param>
    /// <returns>The outcome.</returns>
    public Task<ExecuteCommandResult> TriggerAsync(ExecuteCommandContext context) =>
        OperateAsync(context, "Triggered", (handle, rpc) => handle.TriggerAsync(new ScheduleTriggerOptions { Rpc = rpc }));

    /// <summary>Pauses the schedule.</summary>
    /// <param name="context">The command's context.</param>
    /// <returns>The outcome.</returns>
    public Task<ExecuteCommandResult> PauseAsync(ExecuteCommandContext context) =>
        OperateAsync(context, "Paused", (handle, rpc) => handle.PauseAsync(Note(context, "paused"), rpc));

    /// <summary>Unpauses the schedule.</summary>
    /// <param name="context">The command's context.</param>
    /// <returns>The outcome.</returns>
    public Task<ExecuteCommandResult> UnpauseAsync(ExecuteCommandContext context) =>
        OperateAsync(context, "Unpaused", (handle, rpc) => handle.UnpauseAsync(Note(context, "unpaused"), rpc));

    /// <summary>Runs the schedule's workflow for every time it was due in a period.</summary>
    /// <param name="context">The command's context.</param>
    /// <returns>The outcome.</returns>
    public Task<ExecuteCommandResult> BackfillAsync(ExecuteCommandContext context)
    {
        ScheduleBackfill backfill;
        try
        {
            backfill = ReadBackfill(context.Arguments);
        }
        catch (BackfillInputException e)
        {
            return Task.FromResult(CommandResults.Failure(e.Message));
        }

        return OperateAsync(
            context,
            $"Backfilled from {ScheduleBackfillText.Format(backfill.StartAt)} to {ScheduleBackfillText.Format(backfill.EndAt)}:",
            (handle, rpc) => handle.BackfillAsync([backfill], rpc));
    }

    private static ScheduleBackfill ReadBackfill(InteractionInputCollection inputs)
    {
        var start = Read(Start, () => ScheduleBackfillText.Instant(inputs.GetString(Start), "The start"));
        var end = Read(End, () => ScheduleBackfillText.Instant(inputs.GetString(End), "The end"));
        Read(End, () =>
        {
            ScheduleBackfillText.CheckPeriod(start, end, "The end", "the start");
            return end;
        });
        var overlap = Read(Overlap, () => ScheduleBackfillText.Overlap(inputs.GetString(Overlap), "The overlap policy"));
        return new ScheduleBackfill(start, end, overlap);
    }

    private static T Read<T>(string input, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (FormatException e)
        {
            throw new BackfillInputException(input, e.Message);
        }
    }

    private string Note(ExecuteCommandContext context, string done) =>
        context.Arguments.GetString(WorkflowCommandExtensions.NoteArgument) is { Length: > 0 } note ? note : $"{done} from the dashboard ({worker})";

    private Task<ExecuteCommandResult> OperateAsync(ExecuteCommandContext context, string done, Func<ScheduleHandle, RpcOptions, Task> operate) =>
        temporal.RunAsync(context, async (client, _, rpc) =>
        {
            var id = context.Arguments.GetString(Schedule) ?? string.Empty;
            if (await ProblemAsync(id, context.CancellationToken) is { } problem)
            {
                return CommandResults.Failure(problem);
            }

            await operate(client.GetScheduleHandle(id), rpc);
            context.Logger.LogInformation("{Done} schedule {ScheduleId}", done, id);
            return CommandResults.Success($"{done} schedule '{id}'.");
        });

    // Why a schedule id cannot be operated from this worker, or null.
    private async Task<string?> ProblemAsync(string? id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return "A schedule id is required.";
        }

        WorkflowCatalog workflows;
        ScheduleDescription description;
        try
        {
            workflows = await catalog.GetAsync(cancellationToken);
            var (client, _) = await temporal.GetAsync(cancellationToken);
            description = await client.GetScheduleHandle(id).DescribeAsync(new RpcOptions { CancellationToken = cancellationToken });
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            return $"There is no schedule '{id}'.";
        }
        catch (Exception e) when (e is TemporalException or InvalidOperationException)
        {
            return e.Message;
        }

        return description.Schedule.Action is ScheduleActionStartWorkflow start && workflows.Find(start.Workflow) is null
            ? $"Schedule '{id}' starts {start.Workflow}, which {worker} does not serve."
            : null;
    }

    /// <summary>A backfill input that does not read, and which input it is.</summary>
    private sealed class BackfillInputException(string input, string message) : Exception(message)
    {
        public string Input { get; } = input;
    }
}
