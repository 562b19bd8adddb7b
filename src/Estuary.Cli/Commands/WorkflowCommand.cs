using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Estuary.Temporal.Commands;
using Estuary.Temporal.Domains;
using Temporalio.Api.History.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.Cli.Commands;

/// <summary>
/// <c>workflow list|describe|history|result|signal|query|update|cancel|terminate</c>: look at and operate workflows that
/// run. Signals, queries and updates are found in the definition of the execution's type (from the domain catalog) and
/// their arguments bound like <c>trigger</c>'s; invalid input is refused before anything is sent.
/// </summary>
internal sealed class WorkflowCommand
{
    private const int DefaultLimit = 20;

    private readonly CommandContext _context;

    public WorkflowCommand(CommandContext context)
    {
        _context = context;
        Command = new Command("workflow", "Look at and operate workflows: list, describe, history, result, signal, query, update, cancel, terminate.");
        Command.Subcommands.Add(ListCommand());
        Command.Subcommands.Add(DescribeCommand());
        Command.Subcommands.Add(HistoryCommand());
        Command.Subcommands.Add(ResultCommand());
        foreach (var kind in Enum.GetValues<WorkflowHandlerKind>())
        {
            Command.Subcommands.Add(HandlerCommand(kind));
        }

        Command.Subcommands.Add(CancelCommand());
        Command.Subcommands.Add(TerminateCommand());
    }

    public Command Command { get; }

    /// <summary>Gets the verbs taking a workflow id, each with its target (their <c>--help</c> lists the workflow's handlers).</summary>
    public Dictionary<Command, WorkflowTarget> Targets { get; } = [];

    private static string Time(DateTime? time) =>
        time is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    private static Dictionary<string, object?> ExecutionDocument(WorkflowExecution execution) => new()
    {
        ["workflowId"] = execution.Id,
        ["runId"] = execution.RunId,
        ["workflowType"] = execution.WorkflowType,
        ["status"] = TargetExecution.StatusName(execution.Status),
        ["taskQueue"] = execution.TaskQueue,
        ["startTime"] = execution.StartTime,
        ["executionTime"] = execution.ExecutionTime,
        ["closeTime"] = execution.CloseTime,
        ["historyLength"] = execution.HistoryLength,
        ["parentWorkflowId"] = execution.ParentId,
        ["parentRunId"] = execution.ParentRunId,
    };

    private Command ListCommand()
    {
        var query = new Option<string?>("--query", "-q") { Description = "Temporal visibility query, e.g. \"WorkflowType='BookingWorkflow' AND ExecutionStatus='Running'\"." };
        var limit = new Option<int>("--limit") { Description = $"Most workflows to list (default {DefaultLimit}).", DefaultValueFactory = _ => DefaultLimit };
        var json = new Option<bool>("--json") { Description = "Print one JSON document, for success and failure alike." };
        var temporal = new TemporalCommandOptions(_context);
        var command = new Command("list", "List workflows, most recent first.") { query, limit, json };
        temporal.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var max = parse.GetValue(limit);
            if (max <= 0)
            {
                throw new UsageException($"Option '--limit' must be 1 or more, got {max}.");
            }

            var filter = parse.GetValue(query) ?? string.Empty;
            var connection = temporal.Resolve(parse);
            var client = await temporal.ConnectAsync(connection, cancellationToken);
            var executions = new List<WorkflowExecution>();
            try
            {
                // One more than asked for says whether the list was cut.
                var options = new WorkflowListOptions { Limit = max + 1, Rpc = new() { CancellationToken = cancellationToken } };
                await foreach (var execution in client.ListWorkflowsAsync(filter, options))
                {
                    executions.Add(execution);
                }
            }
            catch (RpcException e) when (e.Code == RpcException.StatusCode.InvalidArgument)
            {
                throw new UsageException($"Option '--query' is not a valid visibility query: {e.Message}");
            }
            catch (RpcException e)
            {
                throw new CommandFailedException($"Temporal at {connection.Address} could not list workflows: {e.Message}", e);
            }

            var more = executions.Count > max;
            executions = executions.Take(max).ToList();
            if (parse.GetValue(json))
            {
                await _context.Output.WriteLineAsync(CliJson.Serialize(new Dictionary<string, object?>
                {
                    ["workflows"] = executions.Select(ExecutionDocument).ToList(),
                    ["more"] = more,
                }));
                return EstuaryCommandLine.Success;
            }

            if (executions.Count == 0)
            {
                await _context.Output.WriteLineAsync(filter.Length == 0 ? "No workflows." : "No workflows match the query.");
                return EstuaryCommandLine.Success;
            }

            string[] header = ["WORKFLOW ID", "TYPE", "STATUS", "STARTED", "RUN ID"];
            var rows = executions.Select(e => new[] { e.Id, e.WorkflowType, e.Status.ToString(), Time(e.StartTime), e.RunId }).ToList();
            var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
            foreach (var row in rows.Prepend(header))
            {
                await _context.Output.WriteLineAsync(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
            }

            if (more)
            {
                await _context.Output.WriteLineAsync($"(more workflows match: raise --limit above {max})");
            }

            return EstuaryCommandLine.Success;
        });
        return command;
    }

    private Command DescribeCommand()
    {
        var target = new WorkflowTarget(_context);
        var command = target.Verb("describe", "Show a workflow's type, domain, status, times, and its own signals, queries and updates.");
        Targets[command] = target;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var execution = await target.OpenAsync(parse, cancellationToken);
            var d = execution.Description;
            if (parse.GetValue(target.Json))
            {
                var document = ExecutionDocument(d);
                document["domain"] = execution.Domain?.Domain.Name;
                document["handlers"] = execution.HandlersDocument();
                await _context.Output.WriteLineAsync(CliJson.Serialize(document));
                return EstuaryCommandLine.Success;
            }

            var output = _context.Output;
            await output.WriteLineAsync($"Workflow {d.Id}");
            await output.WriteLineAsync($"  run id:      {d.RunId}");
            await output.WriteLineAsync($"  type:        {d.WorkflowType}{(execution.Domain is { } domain ? $" (domain {domain.Domain.Name})" : " (no known domain)")}");
            await output.WriteLineAsync($"  status:      {d.Status}");
            await output.WriteLineAsync($"  task queue:  {d.TaskQueue}");
            await output.WriteLineAsync($"  started:     {Time(d.StartTime)}");
            await output.WriteLineAsync($"  closed:      {Time(d.CloseTime)}");
            await output.WriteLineAsync($"  history:     {d.HistoryLength} events");
            if (d.ParentId is not null)
            {
                await output.WriteLineAsync($"  parent:      {d.ParentId} (run id {d.ParentRunId})");
            }

            await execution.WriteHandlersAsync(output);
            return EstuaryCommandLine.Success;
        });
        return command;
    }

    private Command HistoryCommand()
    {
        var target = new WorkflowTarget(_context);
        var command = target.Verb("history", "Print a run's event history; --json prints it in Temporal's JSON form (what replay tests read).");
        Targets[command] = target;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var execution = await target.OpenAsync(parse, cancellationToken);
            var handle = execution.Handle.RunId is null
                ? execution.Handle with { RunId = execution.Description.RunId }
                : execution.Handle;
            Temporalio.Common.WorkflowHistory history;
            try
            {
                history = await handle.FetchHistoryAsync(new WorkflowHistoryEventFetchOptions { Rpc = new() { CancellationToken = cancellationToken } });
            }
            catch (RpcException e)
            {
                throw new CommandFailedException($"Temporal at {execution.Connection.Address} could not read the history of workflow {execution.Named}: {e.Message}", e);
            }

            if (parse.GetValue(target.Json))
            {
                await _context.Output.WriteLineAsync(history.ToJson());
                return EstuaryCommandLine.Success;
            }

            foreach (var e in history.Events)
            {
                var line = new StringBuilder()
                    .Append(CultureInfo.InvariantCulture, $"{e.EventId,5}  {e.EventTime.ToDateTime():yyyy-MM-dd'T'HH:mm:ss.fff'Z'}  {e.EventType}");
                if (Summary(e) is { Length: > 0 } summary)
                {
                    line.Append("  ").Append(summary);
                }

                await _context.Output.WriteLineAsync(line.ToString());
            }

            return EstuaryCommandLine.Success;
        });
        return command;
    }

    // The one or two facts that tell events of the same type apart.
    private static string? Summary(HistoryEvent e) => e.AttributesCase switch
    {
        HistoryEvent.AttributesOneofCase.WorkflowExecutionStartedEventAttributes =>
            $"{e.WorkflowExecutionStartedEventAttributes.WorkflowType.Name} on {e.WorkflowExecutionStartedEventAttributes.TaskQueue.Name}",
        HistoryEvent.AttributesOneofCase.ActivityTaskScheduledEventAttributes => e.ActivityTaskScheduledEventAttributes.ActivityType.Name,
        HistoryEvent.AttributesOneofCase.ActivityTaskFailedEventAttributes => e.ActivityTaskFailedEventAttributes.Failure?.Message,
        HistoryEvent.AttributesOneofCase.TimerStartedEventAttributes => e.TimerStartedEventAttributes.StartToFireTimeout?.ToTimeSpan().ToString("c", CultureInfo.InvariantCulture),
        HistoryEvent.AttributesOneofCase.WorkflowExecutionSignaledEventAttributes => e.WorkflowExecutionSignaledEventAttributes.SignalName,
        HistoryEvent.AttributesOneofCase.WorkflowExecutionUpdateAcceptedEventAttributes => e.WorkflowExecutionUpdateAcceptedEventAttributes.AcceptedRequest?.Input?.Name,
        HistoryEvent.AttributesOneofCase.StartChildWorkflowExecutionInitiatedEventAttributes =>
            $"{e.StartChildWorkflowExecutionInitiatedEventAttributes.WorkflowType.Name} {e.StartChildWorkflowExecutionInitiatedEventAttributes.WorkflowId}",
        HistoryEvent.AttributesOneofCase.WorkflowTaskFailedEventAttributes => e.WorkflowTaskFailedEventAttributes.Failure?.Message,
        HistoryEvent.AttributesOneofCase.WorkflowExecutionFailedEventAttributes => e.WorkflowExecutionFailedEventAttributes.Failure?.Message,
        HistoryEvent.AttributesOneofCase.WorkflowExecutionTerminatedEventAttributes => e.WorkflowExecutionTerminatedEventAttributes.Reason,
        HistoryEvent.AttributesOneofCase.WorkflowExecutionContinuedAsNewEventAttributes => $"new run {e.WorkflowExecutionContinuedAsNewEventAttributes.NewExecutionRunId}",
        _ => null,
    };

    private Command ResultCommand()
    {
        var target = new WorkflowTarget(_context);
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait for a running workflow to complete." };
        var command = target.Verb("result", "Print a workflow's result (following continue-as-new); --wait waits for a running one.", wait);
        Targets[command] = target;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var execution = await target.OpenAsync(parse, cancellationToken);
            if (execution.Running && !parse.GetValue(wait))
            {
                throw new CommandFailedException(
                    $"Workflow {execution.Named} is still running; --wait waits for its result.",
                    details: execution.Document(new() { ["status"] = execution.Status }));
            }

            // Without a known definition the result is read as JSON, whatever its type.
            var resultType = execution.Workflow?.ResultType ?? typeof(JsonElement);
            var result = await TriggerCommand.WaitForResultAsync(
                execution.Handle with { RunId = execution.Description.RunId }, resultType, execution.Connection, execution.Description.WorkflowType, cancellationToken);
            if (parse.GetValue(target.Json))
            {
                await _context.Output.WriteLineAsync(CliJson.Serialize(execution.Document(new() { ["status"] = "completed", ["result"] = result })));
                return EstuaryCommandLine.Success;
            }

            await _context.Output.WriteLineAsync($"{execution.Description.WorkflowType} completed with result:");
            await _context.Output.WriteLineAsync(result is null ? "(none)" : CliJson.Serialize(result.Value));
            return EstuaryCommandLine.Success;
        });
        return command;
    }

    private Command HandlerCommand(WorkflowHandlerKind kind)
    {
        var kindName = WorkflowHandlerDescriptor.KindNameOf(kind);
        var target = new WorkflowTarget(_context);
        var name = new Argument<string>(kindName) { Description = $"The {kindName}'s name, as the workflow defines it (see --help with the workflow id)." };
        var arguments = new Argument<string[]>("args") { Description = $"The {kindName}'s arguments in order; records and lists as JSON.", Arity = ArgumentArity.ZeroOrMore };
        var description = kind switch
        {
            WorkflowHandlerKind.Signal => "Send a workflow one of its signals, with typed arguments.",
            WorkflowHandlerKind.Query => "Ask a workflow one of its queries, with typed arguments, and print the answer.",
            _ => "Run one of a workflow's updates, with typed arguments, and print its answer.",
        };
        var command = target.Verb(kindName, description, name, arguments);
        Targets[command] = target;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var execution = await target.OpenAsync(parse, cancellationToken);
            target.Temporal.RequireKeys();
            var workflow = execution.RequireDefinition($"send it a {kindName}");
            var handlerName = parse.GetRequiredValue(name);
            var handler = workflow.FindHandler(kind, handlerName);
            if (handler is null)
            {
                var known = workflow.HandlersOf(kind).Select(h => h.Name).ToList();
                var plural = kind == WorkflowHandlerKind.Query ? "queries" : kindName + "s";
                throw new UsageException(
                    $"{workflow.Name} (workflow '{execution.Description.Id}') has no {kindName} '{handlerName}' ({(known.Count == 0 ? $"it defines no {plural}" : $"{plural}: {string.Join(", ", known)}")}).");
            }

            var values = WorkflowArgumentBinder.Bind(handler, parse.GetValue(arguments) ?? []);
            if (kind != WorkflowHandlerKind.Query)
            {
                execution.RequireRunning($"{kindName} it");
            }

            var rpc = new RpcOptions { CancellationToken = cancellationToken };
            JsonElement? answer = null;
            try
            {
                switch (kind)
                {
                    case WorkflowHandlerKind.Signal:
                        await execution.Handle.SignalAsync(handler.Name, values, new WorkflowSignalOptions { Rpc = rpc });
                        break;
                    case WorkflowHandlerKind.Query:
                        answer = await execution.Handle.QueryAsync<JsonElement>(handler.Name, values, new WorkflowQueryOptions { Rpc = rpc });
                        break;
                    case WorkflowHandlerKind.Update when handler.ResultType == typeof(void):
                        await execution.Handle.ExecuteUpdateAsync(handler.Name, values, new WorkflowUpdateOptions { Rpc = rpc });
                        break;
                    default:
                        answer = await execution.Handle.ExecuteUpdateAsync<JsonElement>(handler.Name, values, new WorkflowUpdateOptions { Rpc = rpc });
                        break;
                }
            }
            catch (Exception e) when (e is WorkflowQueryFailedException or WorkflowQueryRejectedException or WorkflowUpdateFailedException)
            {
                throw new CommandFailedException(
                    $"{char.ToUpperInvariant(handler.DisplayName[0])}{handler.DisplayName[1..]} (workflow '{execution.Description.Id}') failed: {WorkflowFailures.Describe(e.InnerException ?? e)}",
                    e,
                    execution.Document(new() { [kindName] = handler.Name, ["status"] = "failed" }));
            }
            catch (RpcException e)
            {
                throw new CommandFailedException(
                    $"Temporal at {execution.Connection.Address} failed the {handler.DisplayName} (workflow '{execution.Description.Id}'): {e.Message}", e);
            }

            if (answer?.ValueKind == JsonValueKind.Undefined)
            {
                answer = null;
            }

            if (parse.GetValue(target.Json))
            {
                var document = execution.Document(new() { [kindName] = handler.Name, ["status"] = kind == WorkflowHandlerKind.Signal ? "signaled" : "answered" });
                if (kind != WorkflowHandlerKind.Signal)
                {
                    document["result"] = answer;
                }

                await _context.Output.WriteLineAsync(CliJson.Serialize(document));
                return EstuaryCommandLine.Success;
            }

            if (kind == WorkflowHandlerKind.Signal)
            {
                await _context.Output.WriteLineAsync($"Sent signal {handler.Name} to workflow {execution.Named}.");
            }
            else
            {
                await _context.Output.WriteLineAsync(answer is null ? "(none)" : CliJson.Serialize(answer.Value));
            }

            return EstuaryCommandLine.Success;
        });
        return command;
    }

    private Command CancelCommand()
    {
        var target = new WorkflowTarget(_context);
        var command = target.Verb("cancel", "Ask a running workflow to cancel; it decides how to stop (compensation, cleanup).");
        Targets[command] = target;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var execution = await target.OpenAsync(parse, cancellationToken);
            execution.RequireRunning("cancel it");
            try
            {
                await execution.Handle.CancelAsync(new WorkflowCancelOptions { Rpc = new() { CancellationToken = cancellationToken } });
            }
            catch (RpcException e)
            {
                throw new CommandFailedException($"Temporal at {execution.Connection.Address} failed to cancel workflow {execution.Named}: {e.Message}", e);
            }

            await WriteDoneAsync(parse.GetValue(target.Json), execution, "cancelRequested", $"Asked workflow {execution.Named} to cancel.");
            return EstuaryCommandLine.Success;
        });
        return command;
    }

    private Command TerminateCommand()
    {
        var target = new WorkflowTarget(_context);
        var reason = new Option<string?>("--reason") { Description = "Why, recorded in the workflow's history." };
        var command = target.Verb("terminate", "Stop a running workflow at once, without running any of its code.", reason);
        Targets[command] = target;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var execution = await target.OpenAsync(parse, cancellationToken);
            execution.RequireRunning("terminate it");
            try
            {
                await execution.Handle.TerminateAsync(parse.GetValue(reason), new WorkflowTerminateOptions { Rpc = new() { CancellationToken = cancellationToken } });
            }
            catch (RpcException e)
            {
                throw new CommandFailedException($"Temporal at {execution.Connection.Address} failed to terminate workflow {execution.Named}: {e.Message}", e);
            }

            await WriteDoneAsync(parse.GetValue(target.Json), execution, "terminated", $"Terminated workflow {execution.Named}.");
            return EstuaryCommandLine.Success;
        });
        return command;
    }

    private async Task WriteDoneAsync(bool json, TargetExecution execution, string status, string line) =>
        await _context.Output.WriteLineAsync(json ? CliJson.Serialize(execution.Document(new() { ["status"] = status })) : line);
}
