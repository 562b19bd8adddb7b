using System.CommandLine;
using System.Text.Json;
using Estuary.Temporal.Commands;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Temporalio.Client;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;
using Temporalio.Exceptions;

namespace Estuary.Cli.Commands;

/// <summary>
/// <c>trigger &lt;domain&gt; &lt;workflow&gt; &lt;args…&gt;</c>: starts any discovered workflow of a domain with arguments typed from its
/// run method, and optionally waits for its result. Everything is validated before Temporal is contacted, so an invalid
/// command line starts nothing.
/// </summary>
internal sealed class TriggerCommand
{
    /// <summary>The query a workflow answers to report how far it has got (e.g. PayoutBatchWorkflow).</summary>
    public const string ProgressQuery = "Progress";

    private static readonly JsonSerializerOptions CompactJson = new(CliJson.Options) { WriteIndented = false };

    private readonly CommandContext _context;
    private readonly TemporalCommandOptions _temporal;

    private readonly Argument<string> _domain = new("domain") { Description = "The domain (see 'estuary list')." };
    private readonly Argument<string> _workflow = new("workflow") { Description = "The workflow: its name (ExampleWorkflow) or short name (example)." };
    private readonly Argument<string[]> _arguments = new("args") { Description = "The run method's arguments in order; records and lists as JSON.", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string?> _taskQueue = new("--task-queue", "-q") { Description = "Task queue to start the workflow on (default: the domain's)." };
    private readonly Option<string?> _id = new("--id") { Description = "Workflow id (default: <domain>-<workflow>-<random>)." };
    private readonly Option<bool> _wait = new("--wait", "-w") { Description = "Wait for the workflow to complete and print its result." };
    private readonly Option<bool> _json = new("--json") { Description = "Print one JSON document, for success and failure alike." };
    private readonly Option<double> _progress = new("--progress")
    {
        Description = $"With --wait, for a workflow answering the query '{ProgressQuery}': ask it every this many seconds and print each new answer (0: never).",
        DefaultValueFactory = _ => 2,
    };

    public TriggerCommand(CommandContext context)
    {
        _context = context;
        _temporal = new TemporalCommandOptions(context);
        Command = new Command("trigger", "Start a domain's workflow with typed arguments; --wait prints its result.")
        {
            _domain, _workflow, _arguments, _taskQueue, _id, _wait, _json, _progress,
        };
        _temporal.AddTo(Command);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var domainName = parse.GetRequiredValue(_domain);
        var domain = _context.Catalog.Find(domainName)
            ?? throw new UsageException($"Unknown domain '{domainName}' (known: {_context.DomainNames}).");
        var workflowName = parse.GetRequiredValue(_workflow);
        var workflow = domain.FindWorkflow(workflowName)
            ?? throw new UsageException(
                $"Domain '{domain.Domain.Name}' has no workflow '{workflowName}' (workflows: {string.Join(", ", domain.Workflows.Select(w => w.Name))}).");
        var arguments = WorkflowArgumentBinder.Bind(workflow, parse.GetValue(_arguments) ?? []);
        var taskQueue = parse.GetValue(_taskQueue) ?? domain.Domain.DefaultTaskQueue;
        if (string.IsNullOrWhiteSpace(taskQueue))
        {
            throw new UsageException("Option '--task-queue' must not be empty.");
        }

        var progressSeconds = parse.GetValue(_progress);
        if (!double.IsFinite(progressSeconds) || progressSeconds < 0)
        {
            throw new UsageException($"Option '--progress' must be a number of seconds, 0 or more (got {progressSeconds}).");
        }

        var workflowId = parse.GetValue(_id)
            ?? $"{domain.Domain.Name}-{DomainDescriptor.ShortName(workflow.Name).ToLowerInvariant()}-{Guid.NewGuid():N}"[..^20];
        if (string.IsNullOrWhiteSpace(workflowId))
        {
            throw new UsageException("Option '--id' must not be empty.");
        }

        var connection = _temporal.Resolve(parse);
        _temporal.RequireKeys();

        using var tracing = CliTracing.Start(_context.Configuration);
        var client = await _temporal.ConnectAsync(connection, cancellationToken);
        WorkflowHandle handle;
        try
        {
            handle = await client.StartWorkflowAsync(
                workflow.Name, arguments, new WorkflowOptions(workflowId, taskQueue) { Rpc = new() { CancellationToken = cancellationToken } });
        }
        catch (WorkflowAlreadyStartedException e)
        {
            throw new CommandFailedException($"Workflow id '{workflowId}' is already running (run id {e.RunId}).", e);
        }
        catch (RpcException e)
        {
            throw new CommandFailedException($"Temporal at {connection.Address} refused to start {workflow.Name}: {e.Message}", e);
        }

        var json = parse.GetValue(_json);
        if (!parse.GetValue(_wait))
        {
            await WriteAsync(json, workflow.Name, handle, result: null, waited: false);
            return EstuaryCommandLine.Success;
        }

        if (!json)
        {
            await _context.Output.WriteLineAsync($"Started {workflow.Name} (workflow id {handle.Id}, run id {handle.ResultRunId}); waiting for the result…");
        }

        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watcher = !json && progressSeconds > 0 && workflow.FindHandler(WorkflowHandlerKind.Query, ProgressQuery) is not null
            ? WatchProgressAsync(client.GetWorkflowHandle(handle.Id), TimeSpan.FromSeconds(progressSeconds), watching.Token)
            : Task.CompletedTask;
        JsonElement? result;
        try
        {
            result = await WaitForResultAsync(handle, workflow.ResultType, connection, workflow.Name, cancellationToken);
        }
        finally
        {
            await watching.CancelAsync();
            await watcher;
        }

        await WriteAsync(json, workflow.Name, handle, result, waited: true);
        return EstuaryCommandLine.Success;
    }

    /// <summary>Waits for a workflow's result, following its runs; every way it can end without a result is one line.</summary>
    /// <param name="handle">The workflow.</param>
    /// <param name="resultType">The workflow's result type (<c>void</c>: none).</param>
    /// <param name="connection">Where Temporal is, for messages.</param>
    /// <param name="workflowType">The workflow type, for messages.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The result, or <c>null</c> for a workflow without one.</returns>
    /// <exception cref="CommandFailedException">The workflow did not complete, or Temporal failed while waiting.</exception>
    internal static async Task<JsonElement?> WaitForResultAsync(
        WorkflowHandle handle, Type resultType, TemporalConnectionOptions connection, string workflowType, CancellationToken cancellationToken)
    {
        var rpc = new RpcOptions { CancellationToken = cancellationToken };
        try
        {
            if (resultType == typeof(void))
            {
                await handle.GetResultAsync(rpcOptions: rpc);
                return null;
            }

            var result = await handle.GetResultAsync<JsonElement>(rpcOptions: rpc);
            return result.ValueKind == JsonValueKind.Undefined ? null : result;
        }
        catch (WorkflowFailedException e)
        {
            throw WorkflowFailures.Failed(workflowType, handle.Id, handle.RunId ?? handle.ResultRunId, e);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CommandFailedException(
                $"Lost Temporal at {connection.Address} while waiting for {workflowType} (id {handle.Id}): {WorkflowFailures.Describe(e)}",
                e,
                new Dictionary<string, object?> { ["workflowType"] = workflowType, ["workflowId"] = handle.Id, ["runId"] = handle.RunId ?? handle.ResultRunId });
        }
    }

    // Asks the latest run (a batch continues as new) and prints an answer only when it changed. A query that fails —
    // the run is between runs, closing, or its worker is busy — is asked again at the next tick.
    private async Task WatchProgressAsync(WorkflowHandle latestRun, TimeSpan interval, CancellationToken cancellationToken)
    {
        string? last = null;
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    var answer = await latestRun.QueryAsync<JsonElement>(
                        ProgressQuery, [], new WorkflowQueryOptions { Rpc = new() { CancellationToken = cancellationToken } });
                    var text = JsonSerializer.Serialize(answer, CompactJson);
                    if (text != last)
                    {
                        last = text;
                        await _context.Output.WriteLineAsync($"Progress: {text}");
                    }
                }
                catch (Exception e) when (e is RpcException or WorkflowQueryFailedException or WorkflowQueryRejectedException)
                {
                    // Asked again at the next tick.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The result arrived (or the command was canceled).
        }
    }

    private async Task WriteAsync(bool json, string workflowName, WorkflowHandle handle, JsonElement? result, bool waited)
    {
        if (json)
        {
            var document = new Dictionary<string, object?>
            {
                ["workflowType"] = workflowName,
                ["workflowId"] = handle.Id,
                ["runId"] = handle.ResultRunId,
                ["status"] = waited ? "completed" : "started",
            };
            if (waited)
            {
                document["result"] = result;
            }

            await _context.Output.WriteLineAsync(CliJson.Serialize(document));
            return;
        }

        if (!waited)
        {
            await _context.Output.WriteLineAsync($"Started {workflowName} (workflow id {handle.Id}, run id {handle.ResultRunId}).");
            return;
        }

        await _context.Output.WriteLineAsync($"{workflowName} completed with result:");
        await _context.Output.WriteLineAsync(result is null ? "(none)" : CliJson.Serialize(result.Value));
    }
}
