using System.CommandLine;
using System.Text.Json;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Microsoft.Extensions.Configuration;
using Temporalio.Client;
using Temporalio.Exceptions;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;

namespace Estuary.Cli.Commands;

/// <summary>
/// <c>trigger &lt;domain&gt; &lt;workflow&gt; &lt;args…&gt;</c>: starts any discovered workflow of a domain with arguments typed from its
/// run method, and optionally waits for its result. Everything is validated before Temporal is contacted, so an invalid
/// command line starts nothing.
/// </summary>
internal sealed class TriggerCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly DomainCatalog _catalog;
    private readonly IConfiguration _configuration;
    private readonly TextWriter _output;

    private readonly Argument<string> _domain = new("domain") { Description = "The domain (see 'estuary list')." };
    private readonly Argument<string> _workflow = new("workflow") { Description = "The workflow: its name (ExampleWorkflow) or short name (example)." };
    private readonly Argument<string[]> _arguments = new("args") { Description = "The run method's arguments in order; records and lists as JSON.", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string?> _taskQueue = new("--task-queue", "-q") { Description = "Task queue to start the workflow on (default: the domain's)." };
    private readonly Option<string?> _id = new("--id") { Description = "Workflow id (default: <domain>-<workflow>-<random>)." };
    private readonly Option<bool> _wait = new("--wait", "-w") { Description = "Wait for the workflow to complete and print its result." };
    private readonly Option<bool> _json = new("--json") { Description = "Print machine-readable JSON only." };
    private readonly Option<string?> _address = new("--address") { Description = "Temporal address host:port (default: configuration 'Temporal:Address')." };
    private readonly Option<string?> _namespace = new("--namespace", "-n") { Description = "Temporal namespace (default: configuration 'Temporal:Namespace')." };
    private readonly Option<double> _progress = new("--progress")
    {
        Description = $"With --wait, for a workflow answering the query '{ProgressQuery}': ask it every this many seconds and print each new answer (0: never).",
        DefaultValueFactory = _ => 2,
    };

    /// <summary>The query a workflow answers to report how far it has got (e.g. PayoutBatchWorkflow).</summary>
    public const string ProgressQuery = "Progress";

    public TriggerCommand(DomainCatalog catalog, IConfiguration configuration, TextWriter output)
    {
        _catalog = catalog;
        _configuration = configuration;
        _output = output;
        Command = new Command("trigger", "Start a domain's workflow with typed arguments; --wait prints its result.")
        {
            _domain, _workflow, _arguments, _taskQueue, _id, _wait, _json, _address, _namespace, _progress,
        };
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var domainName = parse.GetRequiredValue(_domain);
        var domain = _catalog.Find(domainName)
            ?? throw new UsageException(
                $"Unknown domain '{domainName}' (known: {string.Join(", ", _catalog.Domains.Select(d => d.Domain.Name))}).");
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
        var connection = ConnectionOptions(parse);

        using var tracing = CliTracing.Start(_configuration);
        var client = await ConnectAsync(connection);
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
            await _output.WriteLineAsync($"Started {workflow.Name} (workflow id {handle.Id}, run id {handle.ResultRunId}); waiting for the result…");
        }

        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watcher = !json && progressSeconds > 0 && AnswersProgress(workflow)
            ? WatchProgressAsync(client.GetWorkflowHandle(handle.Id), TimeSpan.FromSeconds(progressSeconds), watching.Token)
            : Task.CompletedTask;
        JsonElement? result = null;
        try
        {
            var rpc = new RpcOptions { CancellationToken = cancellationToken };
            if (workflow.ResultType == typeof(void))
            {
                await handle.GetResultAsync(rpcOptions: rpc);
            }
            else
            {
                result = await handle.GetResultAsync<JsonElement>(rpcOptions: rpc);
            }
        }
        catch (WorkflowFailedException e)
        {
            throw new CommandFailedException($"Workflow {workflow.Name} (id {handle.Id}) failed: {Describe(e.InnerException ?? e)}", e);
        }
        finally
        {
            await watching.CancelAsync();
            await watcher;
        }

        await WriteAsync(json, workflow.Name, handle, result, waited: true);
        return EstuaryCommandLine.Success;
    }

    private static bool AnswersProgress(WorkflowDescriptor workflow) =>
        Temporalio.Workflows.WorkflowDefinition.Create(workflow.Type).Queries.ContainsKey(ProgressQuery);

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
                    var text = JsonSerializer.Serialize(answer);
                    if (text != last)
                    {
                        last = text;
                        await _output.WriteLineAsync($"Progress: {text}");
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

    private TemporalConnectionOptions ConnectionOptions(ParseResult parse)
    {
        var overrides = new Dictionary<string, string?>();
        if (parse.GetValue(_address) is { } address)
        {
            overrides[$"{TemporalConnectionOptions.SectionName}:Address"] = address;
            overrides[$"ConnectionStrings:{TemporalConnectionOptions.ConnectionStringName}"] = null;
        }

        if (parse.GetValue(_namespace) is { } ns)
        {
            overrides[$"{TemporalConnectionOptions.SectionName}:Namespace"] = ns;
        }

        var configuration = new ConfigurationBuilder().AddConfiguration(_configuration).AddInMemoryCollection(overrides).Build();
        try
        {
            return TemporalConnectionOptions.FromConfiguration(configuration);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static async Task<TemporalClient> ConnectAsync(TemporalConnectionOptions connection)
    {
        try
        {
            return await TemporalClient.ConnectAsync(connection.ToConnectOptions());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CommandFailedException(
                $"Cannot reach Temporal at {connection.Address} (namespace '{connection.Namespace}'): {e.Message}", e);
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

            await _output.WriteLineAsync(JsonSerializer.Serialize(document, Indented));
            return;
        }

        if (!waited)
        {
            await _output.WriteLineAsync($"Started {workflowName} (workflow id {handle.Id}, run id {handle.ResultRunId}).");
            return;
        }

        await _output.WriteLineAsync($"{workflowName} completed with result:");
        await _output.WriteLineAsync(result is null ? "(none)" : JsonSerializer.Serialize(result.Value, Indented));
    }

    // "activity get_entity_details failed: Entity 42 not found" rather than the SDK's generic wrappers.
    private static string Describe(Exception exception)
    {
        var parts = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            parts.Add(e switch
            {
                ActivityFailureException a => $"activity {a.ActivityType} failed",
                ChildWorkflowFailureException c => $"child workflow {c.WorkflowType} failed",
                TimeoutFailureException t => $"timed out ({t.TimeoutType})",
                _ => e.Message,
            });
        }

        return string.Join(": ", parts);
    }
}
