using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Estuary.Temporal.Domains;
using Temporalio.Converters;

namespace Estuary.Temporal.Commands;

/// <summary>
/// What a worker serves, as a client that has no access to its types needs it (the AppHost's dashboard commands): every
/// workflow with its task queue, its run-method parameters and its signals, queries and updates with theirs, each
/// parameter typed by <see cref="WorkflowArgumentBinder.KindOf"/> with an example. A worker serves it as JSON at
/// <see cref="Path"/> and binds arguments typed against it at <see cref="BindPath"/>.
/// </summary>
/// <param name="Workflows">The workflows, ordered by name.</param>
public sealed record WorkflowCatalog(IReadOnlyList<CatalogWorkflow> Workflows)
{
    /// <summary>The path a worker serves its catalog at (GET).</summary>
    public const string Path = "/estuary/catalog";

    /// <summary>The path a worker binds arguments at (POST a <see cref="BindRequest"/>, get a <see cref="BindResponse"/>).</summary>
    public const string BindPath = "/estuary/catalog/bind";

    /// <summary>Gets the JSON form of the catalog and of the bind messages (camelCase, enums by name).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateJsonOptions();

    /// <summary>Describes the workflows of domains served on task queues.</summary>
    /// <param name="taskQueues">Each task queue and the domains served on it.</param>
    /// <returns>The catalog.</returns>
    public static WorkflowCatalog Of(IEnumerable<KeyValuePair<string, IReadOnlyList<DomainDescriptor>>> taskQueues) =>
        new(taskQueues
            .SelectMany(queue => queue.Value.SelectMany(domain => domain.Workflows.Select(workflow => new CatalogWorkflow(
                workflow.Name,
                domain.Domain.Name,
                queue.Key,
                Describe(workflow.Parameters),
                Name(workflow.ResultType),
                workflow.Handlers.Select(h => new CatalogHandler(h.Kind, h.Name, h.Description, Describe(h.Parameters), Name(h.ResultType))).ToList()))))
            .OrderBy(w => w.Name, StringComparer.Ordinal)
            .ToList());

    /// <summary>Finds a workflow by its exact type name.</summary>
    /// <param name="name">The workflow type name.</param>
    /// <returns>The workflow, or <c>null</c>.</returns>
    public CatalogWorkflow? Find(string? name) => Workflows.FirstOrDefault(w => string.Equals(w.Name, name, StringComparison.Ordinal));

    private static List<CatalogParameter> Describe(IReadOnlyList<ParameterInfo> parameters) =>
        parameters.Select(p =>
        {
            var type = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
            var kind = WorkflowArgumentBinder.KindOf(type);
            return new CatalogParameter(
                p.Name ?? $"arg{p.Position}",
                WorkflowArgumentBinder.TypeName(p.ParameterType),
                kind,
                !p.HasDefaultValue,
                kind == ArgumentKind.Enum ? Enum.GetNames(type) : null,
                WorkflowArgumentBinder.Example(p.ParameterType));
        }).ToList();

    private static string Name(Type type) => WorkflowArgumentBinder.TypeName(type);

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>A workflow of a <see cref="WorkflowCatalog"/>.</summary>
/// <param name="Name">The workflow type name.</param>
/// <param name="Domain">The domain defining it.</param>
/// <param name="TaskQueue">The task queue the worker serves it on.</param>
/// <param name="Parameters">The run method's parameters, in order.</param>
/// <param name="Result">The result's type name.</param>
/// <param name="Handlers">Its named signals, queries and updates, ordered by kind then name.</param>
public sealed record CatalogWorkflow(
    string Name,
    string Domain,
    string TaskQueue,
    IReadOnlyList<CatalogParameter> Parameters,
    string Result,
    IReadOnlyList<CatalogHandler> Handlers)
{
    /// <summary>Gets the handlers of one kind.</summary>
    /// <param name="kind">Signals, queries or updates.</param>
    /// <returns>Those handlers, ordered by name.</returns>
    public IReadOnlyList<CatalogHandler> HandlersOf(WorkflowHandlerKind kind) => Handlers.Where(h => h.Kind == kind).ToList();

    /// <summary>Finds a handler by kind and exact name.</summary>
    /// <param name="kind">Signal, query or update.</param>
    /// <param name="name">The handler name.</param>
    /// <returns>The handler, or <c>null</c>.</returns>
    public CatalogHandler? FindHandler(WorkflowHandlerKind kind, string? name) =>
        Handlers.FirstOrDefault(h => h.Kind == kind && string.Equals(h.Name, name, StringComparison.Ordinal));
}

/// <summary>A signal, query or update of a <see cref="CatalogWorkflow"/>.</summary>
/// <param name="Kind">Signal, query or update.</param>
/// <param name="Name">The handler name.</param>
/// <param name="Description">Its description, if its attribute has one.</param>
/// <param name="Parameters">Its parameters, in order.</param>
/// <param name="Result">The answer's type name (<c>void</c> for a signal).</param>
public sealed record CatalogHandler(WorkflowHandlerKind Kind, string Name, string? Description, IReadOnlyList<CatalogParameter> Parameters, string Result);

/// <summary>A parameter of a workflow or handler, typed for a form.</summary>
/// <param name="Name">The parameter name.</param>
/// <param name="Type">The type's user-facing name (<see cref="WorkflowArgumentBinder.TypeName"/>).</param>
/// <param name="Kind">How a value is typed in.</param>
/// <param name="Required">Whether it has no default value.</param>
/// <param name="Options">The names of an enum; <c>null</c> for other kinds.</param>
/// <param name="Example">An example value in the text form the binder accepts (<see cref="WorkflowArgumentBinder.Example"/>).</param>
public sealed record CatalogParameter(string Name, string Type, ArgumentKind Kind, bool Required, IReadOnlyList<string>? Options, string Example);

/// <summary>Arguments typed in for a workflow's run method, or for one of its handlers, to be checked and converted.</summary>
/// <param name="Workflow">The workflow type name.</param>
/// <param name="Kind">The handler's kind, or <c>null</c> for the run method.</param>
/// <param name="Handler">The handler's name, or <c>null</c> for the run method.</param>
/// <param name="Arguments">One text per parameter, in order; <c>null</c> or empty leaves an optional parameter at its default.</param>
public sealed record BindRequest(string Workflow, WorkflowHandlerKind? Kind, string? Handler, IReadOnlyList<string?> Arguments);

/// <summary>The outcome of a <see cref="BindRequest"/>: the arguments as Temporal's JSON payloads, or what is wrong.</summary>
/// <param name="Arguments">One JSON value per parameter, as the SDK's payload converter writes it; <c>null</c> when invalid.</param>
/// <param name="Errors">The problems, each naming its argument; empty when valid.</param>
public sealed record BindResponse(IReadOnlyList<JsonElement>? Arguments, IReadOnlyList<BindError> Errors);

/// <summary>One problem of a <see cref="BindRequest"/>.</summary>
/// <param name="Index">The argument's index, or <c>-1</c> for the request itself (unknown workflow or handler).</param>
/// <param name="Message">One line naming the problem.</param>
public sealed record BindError(int Index, string Message);

/// <summary>Binds arguments typed against a <see cref="WorkflowCatalog"/> with <see cref="WorkflowArgumentBinder"/>, the
/// command line's binder, and converts them with the SDK's payload converter, so a client without the workflow's types
/// sends exactly what the worker will read.</summary>
public sealed class WorkflowCatalogBinder
{
    private readonly Dictionary<string, WorkflowDescriptor> _workflows;

    /// <summary>Initializes a new instance of the <see cref="WorkflowCatalogBinder"/> class.</summary>
    /// <param name="domains">The served domains.</param>
    public WorkflowCatalogBinder(IEnumerable<DomainDescriptor> domains) =>
        _workflows = domains.SelectMany(d => d.Workflows).ToDictionary(w => w.Name, StringComparer.Ordinal);

    /// <summary>Checks and converts arguments; sends nothing anywhere.</summary>
    /// <param name="request">The workflow or handler and the arguments as typed.</param>
    /// <returns>The JSON arguments, or one error per argument that does not fit (or one for the request).</returns>
    public BindResponse Bind(BindRequest request)
    {
        if (!_workflows.TryGetValue(request.Workflow, out var workflow))
        {
            return Invalid(-1, $"This worker has no workflow '{request.Workflow}' (it has: {string.Join(", ", _workflows.Keys.Order(StringComparer.Ordinal))}).");
        }

        var subject = workflow.Name;
        var parameters = workflow.Parameters;
        if (request.Kind is { } kind)
        {
            var handler = workflow.FindHandler(kind, request.Handler ?? string.Empty);
            if (handler is null)
            {
                var kindName = WorkflowHandlerDescriptor.KindNameOf(kind);
                var known = workflow.HandlersOf(kind).Select(h => h.Name).ToList();
                return Invalid(-1, $"{workflow.Name} has no {kindName} '{request.Handler}' ({(known.Count == 0 ? $"it has no {kindName}s" : $"it has: {string.Join(", ", known)}")}).");
            }

            subject = handler.DisplayName;
            parameters = handler.Parameters;
        }

        if (request.Arguments.Count > parameters.Count)
        {
            return Invalid(-1, $"{char.ToUpperInvariant(subject[0])}{subject[1..]} takes {parameters.Count} argument{(parameters.Count == 1 ? string.Empty : "s")} ({WorkflowArgumentBinder.Describe(parameters)}), got {request.Arguments.Count}.");
        }

        var values = new List<JsonElement>();
        var errors = new List<BindError>();
        for (var i = 0; i < parameters.Count; i++)
        {
            var token = i < request.Arguments.Count ? request.Arguments[i] : null;
            try
            {
                values.Add(ToJson(string.IsNullOrEmpty(token)
                    ? Default(subject, parameters[i])
                    : WorkflowArgumentBinder.Bind(subject, [parameters[i]], [token])[0]));
            }
            catch (WorkflowArgumentException e)
            {
                errors.Add(new BindError(i, e.Message));
            }
        }

        return errors.Count == 0 ? new BindResponse(values, []) : new BindResponse(null, errors);
    }

    private static object? Default(string subject, ParameterInfo parameter) =>
        parameter.HasDefaultValue ? parameter.DefaultValue : throw new WorkflowArgumentException($"Argument '{parameter.Name}' of {subject} is required.");

    // The SDK's default payload converter, as the worker's client and the caller's both use it: its JSON is what the
    // caller sends back as a raw JSON value.
    private static JsonElement ToJson(object? value)
    {
        var payload = DataConverter.Default.PayloadConverter.ToPayload(value);
        var encoding = payload.Metadata.TryGetValue("encoding", out var bytes) ? bytes.ToStringUtf8() : string.Empty;
        return encoding switch
        {
            "json/plain" => JsonDocument.Parse(payload.Data.Memory).RootElement.Clone(),
            "binary/null" => JsonDocument.Parse("null").RootElement.Clone(),
            _ => throw new WorkflowArgumentException($"A {value?.GetType().Name} is sent as '{encoding}', which cannot be typed in; use the command line."),
        };
    }

    private static BindResponse Invalid(int index, string message) => new(null, [new BindError(index, message)]);
}
