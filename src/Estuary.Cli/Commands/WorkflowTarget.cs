using System.CommandLine;
using Estuary.Temporal.Commands;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;
using Temporalio.Exceptions;

namespace Estuary.Cli.Commands;

/// <summary>
/// What every <c>workflow &lt;verb&gt; ID</c> command shares: the workflow id, <c>--run-id</c>, <c>--json</c> and the Temporal
/// options, and finding the execution (DescribeWorkflowExecution) and its definition in the domain catalog.
/// </summary>
internal sealed class WorkflowTarget
{
    private readonly CommandContext _context;

    public WorkflowTarget(CommandContext context)
    {
        _context = context;
        Temporal = new TemporalCommandOptions(context);
    }

    /// <summary>Gets the workflow id argument.</summary>
    public Argument<string> Id { get; } = new("id") { Description = "The workflow id." };

    /// <summary>Gets the <c>--run-id</c> option.</summary>
    public Option<string?> RunId { get; } = new("--run-id", "-r") { Description = "One run of the workflow (default: its latest run)." };

    /// <summary>Gets the <c>--json</c> option.</summary>
    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON document, for success and failure alike." };

    /// <summary>Gets the Temporal options.</summary>
    public TemporalCommandOptions Temporal { get; }

    /// <summary>Creates a verb taking the workflow id first, then <paramref name="arguments"/>.</summary>
    /// <param name="name">The verb.</param>
    /// <param name="description">What it does.</param>
    /// <param name="arguments">Its other arguments and options.</param>
    /// <returns>The command.</returns>
    public Command Verb(string name, string description, params Symbol[] arguments)
    {
        var command = new Command(name, description) { Id };
        foreach (var symbol in arguments)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
            }
        }

        command.Options.Add(RunId);
        command.Options.Add(Json);
        Temporal.AddTo(command);
        return command;
    }

    /// <summary>Gets the workflow id given, or <c>null</c> when the command line names none (e.g. with <c>--help</c> alone).</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <returns>The id.</returns>
    public string? IdGiven(ParseResult parse) =>
        parse.GetResult(Id) is { Tokens.Count: > 0 } result && !string.IsNullOrWhiteSpace(result.Tokens[0].Value) ? result.Tokens[0].Value : null;

    /// <summary>Connects, finds the execution and, if a known domain defines its type, its definition.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="cancellationToken">Stops the calls.</param>
    /// <returns>The execution.</returns>
    /// <exception cref="UsageException">The id (or run id) names no workflow, or an option is invalid.</exception>
    /// <exception cref="CommandFailedException">Temporal cannot be reached or failed to answer.</exception>
    public async Task<TargetExecution> OpenAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var id = parse.GetRequiredValue(Id);
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new UsageException("The workflow id must not be empty.");
        }

        var runId = parse.GetValue(RunId);
        if (runId is not null && string.IsNullOrWhiteSpace(runId))
        {
            throw new UsageException("Option '--run-id' must not be empty.");
        }

        var connection = Temporal.Resolve(parse);
        var client = await Temporal.ConnectAsync(connection, cancellationToken);
        var handle = client.GetWorkflowHandle(id, runId);
        var named = runId is null ? $"'{id}'" : $"'{id}' (run id {runId})";
        WorkflowExecutionDescription description;
        try
        {
            description = await handle.DescribeAsync(new WorkflowDescribeOptions { Rpc = new() { CancellationToken = cancellationToken } });
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            throw new UsageException($"No workflow {named} in namespace '{connection.Namespace}' at {connection.Address}.");
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.InvalidArgument)
        {
            throw new UsageException($"Temporal at {connection.Address} refused workflow {named}: {e.Message}");
        }
        catch (RpcException e)
        {
            throw new CommandFailedException($"Temporal at {connection.Address} could not describe workflow {named}: {e.Message}", e);
        }

        var definition = _context.Catalog.FindWorkflowType(description.WorkflowType);
        return new TargetExecution(connection, handle, description, definition?.Domain, definition?.Workflow, _context);
    }
}

/// <summary>A workflow execution found by <see cref="WorkflowTarget.OpenAsync"/>.</summary>
/// <param name="Connection">Where Temporal is.</param>
/// <param name="Handle">The workflow (the run given, or its latest run).</param>
/// <param name="Description">What Temporal said about the run.</param>
/// <param name="Domain">The domain defining its type, or <c>null</c>.</param>
/// <param name="Workflow">Its definition, or <c>null</c> when no known domain defines its type.</param>
/// <param name="Context">The command's context.</param>
internal sealed record TargetExecution(
    TemporalConnectionOptions Connection,
    WorkflowHandle Handle,
    WorkflowExecutionDescription Description,
    DomainDescriptor? Domain,
    WorkflowDescriptor? Workflow,
    CommandContext Context)
{
    /// <summary>Gets the workflow as messages name it: <c>'booking-B-42' (BookingWorkflow)</c>.</summary>
    public string Named => $"'{Description.Id}' ({Description.WorkflowType})";

    /// <summary>Gets a value indicating whether the run is still open.</summary>
    public bool Running => Description.Status == WorkflowExecutionStatus.Running;

    /// <summary>Gets the run's status as JSON documents name it (<c>running</c>, <c>completed</c>, <c>continuedAsNew</c>…).</summary>
    public string Status => StatusName(Description.Status);

    /// <summary>Gets a Temporal status as JSON documents name it.</summary>
    /// <param name="status">The status.</param>
    /// <returns><c>running</c>, <c>completed</c>, <c>failed</c>, <c>canceled</c>, <c>terminated</c>, <c>continuedAsNew</c> or <c>timedOut</c>.</returns>
    public static string StatusName(WorkflowExecutionStatus status)
    {
        var name = status.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    /// <summary>Gets the definition of the execution's type.</summary>
    /// <param name="doing">What needs it, for the message (<c>send it a signal</c>).</param>
    /// <returns>The definition.</returns>
    /// <exception cref="UsageException">No known domain defines the type.</exception>
    public WorkflowDescriptor RequireDefinition(string doing) =>
        Workflow ?? throw new UsageException(
            $"Workflow {Named}: no domain of this executable ({Context.DomainNames}) defines {Description.WorkflowType}, so its arguments are unknown; cannot {doing}.");

    /// <summary>Fails unless the run is open.</summary>
    /// <param name="doing">What needs it open, for the message (<c>signal it</c>).</param>
    /// <exception cref="CommandFailedException">The run is closed.</exception>
    public void RequireRunning(string doing)
    {
        if (!Running)
        {
            throw new CommandFailedException(
                $"Workflow {Named} is {Description.Status}: cannot {doing}.",
                details: Document(new() { ["status"] = Status }));
        }
    }

    /// <summary>Starts a JSON document naming the execution.</summary>
    /// <param name="more">The document's other members.</param>
    /// <returns>The document.</returns>
    public Dictionary<string, object?> Document(Dictionary<string, object?> more)
    {
        var document = new Dictionary<string, object?>
        {
            ["workflowType"] = Description.WorkflowType,
            ["workflowId"] = Description.Id,
            ["runId"] = Description.RunId,
        };
        foreach (var (key, value) in more)
        {
            document[key] = value;
        }

        return document;
    }

    /// <summary>Writes the workflow's own signals, queries and updates, one per line, for help and <c>describe</c>.</summary>
    /// <param name="output">Where to write.</param>
    /// <returns>A task completing when written.</returns>
    public async Task WriteHandlersAsync(TextWriter output)
    {
        if (Workflow is null)
        {
            await output.WriteLineAsync($"  (no domain of this executable defines {Description.WorkflowType}: its signals, queries and updates are unknown)");
            return;
        }

        foreach (var kind in Enum.GetValues<WorkflowHandlerKind>())
        {
            var handlers = Workflow.HandlersOf(kind);
            var title = WorkflowHandlerDescriptor.KindNameOf(kind) switch { "query" => "queries", var k => k + "s" };
            if (handlers.Count == 0)
            {
                await output.WriteLineAsync($"  {title}: none");
                continue;
            }

            await output.WriteLineAsync($"  {title}:");
            foreach (var handler in handlers)
            {
                await output.WriteLineAsync($"    {Signature(handler)}");
            }
        }
    }

    /// <summary>Describes the workflow's handlers for a JSON document.</summary>
    /// <returns>Per kind (<c>signals</c>, <c>queries</c>, <c>updates</c>), each handler's name, parameters and result type;
    /// <c>null</c> when the type is unknown.</returns>
    public Dictionary<string, object?>? HandlersDocument() =>
        Workflow is null
            ? null
            : Enum.GetValues<WorkflowHandlerKind>().ToDictionary(
                kind => WorkflowHandlerDescriptor.KindNameOf(kind) switch { "query" => "queries", var k => k + "s" },
                kind => (object?)Workflow.HandlersOf(kind).Select(h => new Dictionary<string, object?>
                {
                    ["name"] = h.Name,
                    ["parameters"] = h.Parameters.Select(p => new Dictionary<string, object?>
                    {
                        ["name"] = p.Name,
                        ["type"] = WorkflowArgumentBinder.TypeName(p.ParameterType),
                        ["optional"] = p.HasDefaultValue,
                    }).ToList(),
                    ["result"] = WorkflowArgumentBinder.TypeName(h.ResultType),
                    ["description"] = h.Description,
                }).ToList());

    private static string Signature(WorkflowHandlerDescriptor handler)
    {
        var result = handler.ResultType == typeof(void) ? string.Empty : $" -> {WorkflowArgumentBinder.TypeName(handler.ResultType)}";
        var description = string.IsNullOrWhiteSpace(handler.Description) ? string.Empty : $"  {handler.Description}";
        return $"{handler.Name} ({WorkflowArgumentBinder.Describe(handler.Parameters)}){result}{description}";
    }
}
