using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Estuary.Temporal.Commands;
using Estuary.Temporal.Domains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Aspire.Hosting;

/// <summary>What the commands of <see cref="WorkflowCommandExtensions.WithWorkflowCommands"/> do for one worker.</summary>
/// <param name="worker">The worker's resource name.</param>
/// <param name="catalog">The worker's catalog.</param>
/// <param name="temporal">The AppHost's Temporal client.</param>
/// <param name="ui">The Temporal UI's endpoint, if there is one.</param>
internal sealed class WorkflowCommands(string worker, WorkerCatalogClient catalog, TemporalCommandClient temporal, EndpointReference? ui)
{
    private const string Id = WorkflowCommandExtensions.IdArgument;
    private const string HandlerName = WorkflowCommandExtensions.HandlerArgument;
    private const string WorkflowName = WorkflowCommandExtensions.WorkflowArgument;

    /// <summary>The choice of the worker's workflows, loaded from its catalog when the dialog opens.</summary>
    /// <returns>The input.</returns>
    public InteractionInput WorkflowChoice() => new()
    {
        Name = WorkflowName,
        Label = "Workflow",
        InputType = InputType.Choice,
        Required = true,
        // Checked against the catalog by the validation, whose message lists the workflows there are.
        AllowCustomChoice = true,
        DynamicLoading = new InputLoadOptions
        {
            AlwaysLoadOnStart = true,
            LoadCallback = async context =>
            {
                var workflows = await TryGetCatalogAsync(context.CancellationToken);
                context.Input.Options = workflows?.Workflows.Select(w => KeyValuePair.Create(w.Name, $"{w.Name} ({w.TaskQueue})")).ToList() ?? [];
            },
        },
    };

    /// <summary>The choice of a running workflow's own handlers of a kind, loaded once its id is typed.</summary>
    /// <param name="kind">Signals, queries or updates.</param>
    /// <returns>The input.</returns>
    public InteractionInput HandlerChoice(WorkflowHandlerKind kind) => new()
    {
        Name = HandlerName,
        Label = char.ToUpperInvariant(WorkflowHandlerDescriptor.KindNameOf(kind)[0]) + WorkflowHandlerDescriptor.KindNameOf(kind)[1..],
        InputType = InputType.Choice,
        Required = true,
        AllowCustomChoice = true,
        DynamicLoading = new InputLoadOptions
        {
            DependsOnInputs = [Id],
            LoadCallback = async context =>
            {
                var target = await TryResolveAsync(context.AllInputs.GetString(Id), context.CancellationToken);
                context.Input.Options = target.Workflow?.HandlersOf(kind).Select(h => KeyValuePair.Create(h.Name, h.Name)).ToList() ?? [];
            },
        },
    };

    /// <summary>Validates the first dialog of "Start workflow": a workflow of this worker, an id not running already.</summary>
    /// <param name="context">The dialog's inputs.</param>
    /// <returns>A task.</returns>
    public async Task ValidateStartAsync(InputsDialogValidationContext context)
    {
        var (workflow, problem) = await FindWorkflowAsync(context.Inputs.GetString(WorkflowName), context.CancellationToken);
        if (workflow is null)
        {
            context.AddValidationError(WorkflowName, problem!);
            return;
        }

        if (context.Inputs.GetString(Id) is { Length: > 0 } id
            && await DescribeAsync(id, context.CancellationToken) is { Status: WorkflowExecutionStatus.Running })
        {
            context.AddValidationError(Id, $"A workflow with id '{id}' is already running.");
        }
    }

    /// <summary>Starts the chosen workflow with its arguments, typed in a second dialog and bound by the worker.</summary>
    /// <param name="context">The command's context.</param>
    /// <returns>The workflow id and a link to its page in the Temporal UI.</returns>
    public Task<ExecuteCommandResult> StartAsync(ExecuteCommandContext context) =>
        temporal.RunAsync(context, async (client, ns, rpc) =>
        {
            var (workflow, problem) = await FindWorkflowAsync(context.Arguments.GetString(WorkflowName), context.CancellationToken);
            if (workflow is null)
            {
                return CommandResults.Failure(problem!);
            }

            var arguments = await ArgumentsAsync(context, $"Start {workflow.Name}", $"The arguments of {workflow.Name}, started on task queue '{workflow.TaskQueue}'.", "Start",
                workflow.Parameters, new BindRequest(workflow.Name, null, null, []));
            if (arguments.Result is { } notBound)
            {
                return notBound;
            }

            var id = context.Arguments.GetString(Id) is { Length: > 0 } given ? given : $"{Kebab(workflow.Name)}-{Guid.NewGuid():N}";
            var handle = await client.StartWorkflowAsync(workflow.Name, arguments.Values!, new WorkflowOptions(id, workflow.TaskQueue) { Rpc = rpc });
            context.Logger.LogInformation("Started {WorkflowType} {WorkflowId} (run {RunId}) on task queue {TaskQueue}", workflow.Name, handle.Id, handle.ResultRunId, workflow.TaskQueue);
            return Answer($"Started {workflow.Name} {handle.Id}", handle.Id, ns);
        });

    /// <summary>Validates the first dialog of a signal, query or update: a workflow of this worker, running (unless queried),
    /// defining the handler.</summary>
    /// <param name="context">The dialog's inputs.</param>
    /// <param name="kind">Signal, query or update.</param>
    /// <returns>A task.</returns>
    public async Task ValidateCallAsync(InputsDialogValidationContext context, WorkflowHandlerKind kind)
    {
        var target = await TryResolveAsync(context.Inputs.GetString(Id), context.CancellationToken);
        if (target.Problem is { } problem)
        {
            context.AddValidationError(Id, problem);
            return;
        }

        if (kind != WorkflowHandlerKind.Query && target.Status != WorkflowExecutionStatus.Running)
        {
            context.AddValidationError(Id, NotRunning(target.WorkflowId!, target.Status));
            return;
        }

        if (HandlerProblem(target.Workflow!, kind, context.Inputs.GetString(HandlerName)) is { } missing)
        {
            context.AddValidationError(HandlerName, missing);
        }
    }

    /// <summary>Sends a signal, query or update with its arguments, typed in a second dialog and bound by the worker.</summary>
    /// <param name="context">The command's context.</param>
    /// <param name="kind">Signal, query or update.</param>
    /// <returns>Success with the answer (queries and updates), or what failed.</returns>
    public Task<ExecuteCommandResult> CallAsync(ExecuteCommandContext context, WorkflowHandlerKind kind) =>
        temporal.RunAsync(context, async (client, ns, rpc) =>
        {
            var target = await TryResolveAsync(context.Arguments.GetString(Id), context.CancellationToken);
            if (target.Problem is { } problem)
            {
                return CommandResults.Failure(problem);
            }

            var name = context.Arguments.GetString(HandlerName);
            if (HandlerProblem(target.Workflow!, kind, name) is { } missing)
            {
                return CommandResults.Failure(missing);
            }

            var handler = target.Workflow!.FindHandler(kind, name)!;
            var kindName = WorkflowHandlerDescriptor.KindNameOf(kind);
            var arguments = await ArgumentsAsync(context, $"{char.ToUpperInvariant(kindName[0])}{kindName[1..]} {handler.Name}",
                $"The arguments of {kindName} '{handler.Name}' of {target.Workflow.Name} '{target.WorkflowId}'.", "Send",
                handler.Parameters, new BindRequest(target.Workflow.Name, kind, handler.Name, []));
            if (arguments.Result is { } notBound)
            {
                return notBound;
            }

            var workflow = client.GetWorkflowHandle(target.WorkflowId!);
            string? answer = null;
            switch (kind)
            {
                case WorkflowHandlerKind.Signal:
                    await workflow.SignalAsync(handler.Name, arguments.Values!, new WorkflowSignalOptions { Rpc = rpc });
                    break;
                case WorkflowHandlerKind.Query:
                    answer = Json(await workflow.QueryAsync<JsonElement>(handler.Name, arguments.Values!, new WorkflowQueryOptions { Rpc = rpc }));
                    break;
                case WorkflowHandlerKind.Update when handler.Result == "void":
                    await workflow.ExecuteUpdateAsync(handler.Name, arguments.Values!, new WorkflowUpdateOptions { Rpc = rpc });
                    break;
                default:
                    answer = Json(await workflow.ExecuteUpdateAsync<JsonElement>(handler.Name, arguments.Values!, new WorkflowUpdateOptions { Rpc = rpc }));
                    break;
            }

            context.Logger.LogInformation("Sent {Kind} {Handler} to {WorkflowType} {WorkflowId}", kindName, handler.Name, target.Workflow.Name, target.WorkflowId);
            var message = $"Sent {kindName} '{handler.Name}' to {target.Workflow.Name} {target.WorkflowId}";
            return answer is null
                ? Answer(message, target.WorkflowId!, ns)
                : CommandResults.Success(message, new CommandResultData { Value = answer, Format = CommandResultFormat.Json, DisplayImmediately = true });
        });

    /// <summary>Validates the dialog of cancel and terminate: a workflow that is running.</summary>
    /// <param name="context">The dialog's inputs.</param>
    /// <returns>A task.</returns>
    public async Task ValidateRunningAsync(InputsDialogValidationContext context)
    {
        var id = context.Inputs.GetString(Id) ?? string.Empty;
        var description = await DescribeAsync(id, context.CancellationToken);
        if (description is null)
        {
            context.AddValidationError(Id, $"There is no workflow with id '{id}'.");
        }
        else if (description.Status != WorkflowExecutionStatus.Running)
        {
            context.AddValidationError(Id, NotRunning(id, description.Status));
        }
    }

    /// <summary>Asks a workflow to cancel.</summary>
    /// <param name="context">The command's context.</param>
    /// <returns>The outcome.</returns>
    public Task<ExecuteCommandResult> CancelAsync(ExecuteCommandContext context) =>
        OperateAsync(context, "Asked to cancel", (workflow, rpc) => workflow.CancelAsync(new WorkflowCancelOptions { Rpc = rpc }));

    /// <summary>Terminates a workflow.</summary>
    /// <param name="context">The command's context.</param>
    /// <returns>The outcome.</returns>
    public Task<ExecuteCommandResult> TerminateAsync(ExecuteCommandContext context) =>
        OperateAsync(context, "Terminated", (workflow, rpc) => workflow.TerminateAsync(
            context.Arguments.GetString(WorkflowCommandExtensions.ReasonArgument) is { Length: > 0 } reason ? reason : $"terminated from the dashboard ({worker})",
            new WorkflowTerminateOptions { Rpc = rpc }));

    private Task<ExecuteCommandResult> OperateAsync(ExecuteCommandContext context, string done, Func<WorkflowHandle, RpcOptions, Task> operate) =>
        temporal.RunAsync(context, async (client, ns, rpc) =>
        {
            var id = context.Arguments.GetString(Id) ?? string.Empty;
            await operate(client.GetWorkflowHandle(id), rpc);
            context.Logger.LogInformation("{Done} workflow {WorkflowId}", done, id);
            return Answer($"{done} {id}", id, ns);
        });

    // Prompts for the parameters' values (when there are any) in a dialog that validates them with the worker's binder,
    // then binds them once more: what an API caller answered without the dialog's validation is checked all the same.
    private async Task<(IReadOnlyList<object?>? Values, ExecuteCommandResult? Result)> ArgumentsAsync(
        ExecuteCommandContext context, string title, string message, string button, IReadOnlyList<CatalogParameter> parameters, BindRequest request)
    {
        IReadOnlyList<string?> typed = [];
        if (parameters.Count > 0)
        {
            var interaction = context.Services.GetRequiredService<IInteractionService>();
            if (!interaction.IsAvailable)
            {
                return (null, CommandResults.Failure($"{title} needs its arguments typed in the dashboard's dialog; from a terminal use the estuary command line."));
            }

            var answered = await interaction.PromptInputsAsync(title, message, WorkflowArgumentInputs.For(parameters), new InputsDialogInteractionOptions
            {
                PrimaryButtonText = button,
                ShowDismiss = true,
                ValidationCallback = async validation =>
                {
                    var bound = await catalog.BindAsync(request with { Arguments = WorkflowArgumentInputs.Values(parameters, validation.Inputs) }, validation.CancellationToken);
                    foreach (var error in bound.Errors)
                    {
                        validation.AddValidationError(parameters[Math.Max(error.Index, 0)].Name, error.Message);
                    }
                },
            }, context.CancellationToken);
            if (answered.Canceled)
            {
                return (null, CommandResults.Canceled());
            }

            typed = WorkflowArgumentInputs.Values(parameters, answered.Data);
        }

        var response = await catalog.BindAsync(request with { Arguments = typed }, context.CancellationToken);
        return response.Errors.Count == 0
            ? (response.Arguments!.Cast<object?>().ToList(), null)
            : (null, CommandResults.Failure(string.Join(Environment.NewLine, response.Errors.Select(e => e.Message))));
    }

    private async Task<(CatalogWorkflow? Workflow, string? Problem)> FindWorkflowAsync(string? name, CancellationToken cancellationToken)
    {
        WorkflowCatalog workflows;
        try
        {
            workflows = await catalog.GetAsync(cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            return (null, e.Message);
        }

        return workflows.Find(name) is { } workflow
            ? (workflow, null)
            : (null, $"{worker} has no workflow '{name}' (it has: {string.Join(", ", workflows.Workflows.Select(w => w.Name))}).");
    }

    private async Task<WorkflowCatalog?> TryGetCatalogAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await catalog.GetAsync(cancellationToken);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    // The running execution's type, found in this worker's catalog; or why not.
    private async Task<Target> TryResolveAsync(string? id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return new Target(null, null, default, "A workflow id is required.");
        }

        WorkflowExecutionDescription? description;
        WorkflowCatalog workflows;
        try
        {
            description = await DescribeAsync(id, cancellationToken);
            workflows = await catalog.GetAsync(cancellationToken);
        }
        catch (Exception e) when (e is TemporalException or InvalidOperationException)
        {
            return new Target(id, null, default, e.Message);
        }

        if (description is null)
        {
            return new Target(id, null, default, $"There is no workflow with id '{id}'.");
        }

        return workflows.Find(description.WorkflowType) is { } workflow
            ? new Target(id, workflow, description.Status, null)
            : new Target(id, null, description.Status, $"Workflow '{id}' is a {description.WorkflowType}, which {worker} does not serve.");
    }

    // The latest run of a workflow id, or null when there is none.
    private async Task<WorkflowExecutionDescription?> DescribeAsync(string id, CancellationToken cancellationToken)
    {
        var (client, _) = await temporal.GetAsync(cancellationToken);
        try
        {
            return await client.GetWorkflowHandle(id).DescribeAsync(new WorkflowDescribeOptions { Rpc = new RpcOptions { CancellationToken = cancellationToken } });
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            return null;
        }
    }

    private static string? HandlerProblem(CatalogWorkflow workflow, WorkflowHandlerKind kind, string? name)
    {
        if (workflow.FindHandler(kind, name) is not null)
        {
            return null;
        }

        var kindName = WorkflowHandlerDescriptor.KindNameOf(kind);
        var known = workflow.HandlersOf(kind).Select(h => h.Name).ToList();
        return $"{workflow.Name} has no {kindName} '{name}' ({(known.Count == 0 ? $"it has no {kindName}s" : $"it has: {string.Join(", ", known)}")}).";
    }

    private static string NotRunning(string id, WorkflowExecutionStatus status) =>
        $"Workflow '{id}' is not running: it is {status.ToString().Replace("TimedOut", "timed out", StringComparison.Ordinal).ToLowerInvariant()}.";

    // The message, and the workflow's page in the Temporal UI as the result shown.
    private ExecuteCommandResult Answer(string message, string workflowId, string ns)
    {
        if (ui is not { IsAllocated: true })
        {
            return CommandResults.Success(message, new CommandResultData { Value = workflowId, Format = CommandResultFormat.Text });
        }

        var page = new Uri(new Uri(ui.Url), $"/namespaces/{Uri.EscapeDataString(ns)}/workflows/{Uri.EscapeDataString(workflowId)}");
        return CommandResults.Success(message, new CommandResultData { Value = $"[{workflowId}]({page})", Format = CommandResultFormat.Markdown, DisplayImmediately = true });
    }

    private static string Json(JsonElement answer) => JsonSerializer.Serialize(answer, WorkflowCatalog.JsonOptions);

    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : string.Empty) + char.ToLowerInvariant(c) : c.ToString()));

    private sealed record Target(string? WorkflowId, CatalogWorkflow? Workflow, WorkflowExecutionStatus Status, string? Problem);
}
