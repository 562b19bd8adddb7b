using System.Reflection;
using Estuary.Temporal.Schedules;
using Temporalio.Activities;
using Temporalio.Workflows;

namespace Estuary.Temporal.Domains;

/// <summary>A discovered workflow: its Temporal type name, class and run method.</summary>
/// <param name="Name">The workflow type name registered with Temporal.</param>
/// <param name="Type">The workflow class.</param>
/// <param name="RunMethod">The method marked <see cref="WorkflowRunAttribute"/>.</param>
public sealed record WorkflowDescriptor(string Name, Type Type, MethodInfo RunMethod)
{
    /// <summary>Gets the run method's parameters, in order: what a trigger must supply.</summary>
    public IReadOnlyList<ParameterInfo> Parameters => RunMethod.GetParameters();

    /// <summary>Gets the run method's result type (<c>void</c> for a plain <see cref="Task"/>).</summary>
    public Type ResultType => WorkflowHandlerDescriptor.Unwrap(RunMethod.ReturnType);

    /// <summary>Gets the workflow's named signals, queries and updates, ordered by kind then name (dynamic handlers,
    /// which take any name, are not listed).</summary>
    public IReadOnlyList<WorkflowHandlerDescriptor> Handlers { get; init; } = [];

    /// <summary>Gets the handlers of one kind.</summary>
    /// <param name="kind">Signals, queries or updates.</param>
    /// <returns>Those handlers, ordered by name.</returns>
    public IReadOnlyList<WorkflowHandlerDescriptor> HandlersOf(WorkflowHandlerKind kind) => Handlers.Where(h => h.Kind == kind).ToList();

    /// <summary>Finds a handler by its exact name (Temporal's handler names are case-sensitive).</summary>
    /// <param name="kind">Signal, query or update.</param>
    /// <param name="name">The handler name.</param>
    /// <returns>The handler, or <c>null</c> when the workflow defines none of that kind and name.</returns>
    public WorkflowHandlerDescriptor? FindHandler(WorkflowHandlerKind kind, string name) =>
        Handlers.FirstOrDefault(h => h.Kind == kind && string.Equals(h.Name, name, StringComparison.Ordinal));

    /// <summary>Reads the named signals, queries and updates of a workflow class, as the SDK defines them.</summary>
    /// <param name="definition">The SDK's definition of the workflow.</param>
    /// <returns>The handlers, ordered by kind then name.</returns>
    public static IReadOnlyList<WorkflowHandlerDescriptor> HandlersOf(WorkflowDefinition definition)
    {
        var workflowName = definition.Name ?? definition.Type.Name;
        var handlers = new List<WorkflowHandlerDescriptor>();
        foreach (var method in definition.Type.GetMethods(BindingFlags.Public | BindingFlags.Instance))
        {
            if (method.GetCustomAttribute<WorkflowSignalAttribute>() is { Dynamic: false } signal)
            {
                handlers.Add(new(WorkflowHandlerKind.Signal, WorkflowSignalDefinition.FromMethod(method).Name!, workflowName, method, signal.Description));
            }
            else if (method.GetCustomAttribute<WorkflowQueryAttribute>() is { Dynamic: false } query)
            {
                handlers.Add(new(WorkflowHandlerKind.Query, WorkflowQueryDefinition.FromMethod(method).Name!, workflowName, method, query.Description));
            }
            else if (method.GetCustomAttribute<WorkflowUpdateAttribute>() is { Dynamic: false } update)
            {
                handlers.Add(new(WorkflowHandlerKind.Update, WorkflowUpdateDefinition.FromMethod(method, null!).Name!, workflowName, method, update.Description));
            }
        }

        foreach (var property in definition.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<WorkflowQueryAttribute>() is { Dynamic: false } query && property.GetMethod is { } getter)
            {
                handlers.Add(new(WorkflowHandlerKind.Query, WorkflowQueryDefinition.FromProperty(property).Name!, workflowName, getter, query.Description));
            }
        }

        return [.. handlers.OrderBy(h => h.Kind).ThenBy(h => h.Name, StringComparer.Ordinal)];
    }
}

/// <summary>What a handler of a running workflow does when called: receive a signal, answer a query, run an update.</summary>
public enum WorkflowHandlerKind
{
    /// <summary>A signal (<see cref="WorkflowSignalAttribute"/>): delivered, no answer.</summary>
    Signal,

    /// <summary>A query (<see cref="WorkflowQueryAttribute"/>): answered from the workflow's state, changing nothing.</summary>
    Query,

    /// <summary>An update (<see cref="WorkflowUpdateAttribute"/>): validated, run, answered.</summary>
    Update,
}

/// <summary>A named signal, query or update of a workflow: what a caller must supply and gets back.</summary>
/// <param name="Kind">Signal, query or update.</param>
/// <param name="Name">The handler name sent to Temporal.</param>
/// <param name="WorkflowName">The workflow type defining it.</param>
/// <param name="Method">The method (for a query property, its getter).</param>
/// <param name="Description">The handler's description from its attribute, if any.</param>
public sealed record WorkflowHandlerDescriptor(WorkflowHandlerKind Kind, string Name, string WorkflowName, MethodInfo Method, string? Description)
{
    /// <summary>Gets the handler's parameters, in order.</summary>
    public IReadOnlyList<ParameterInfo> Parameters => Method.GetParameters();

    /// <summary>Gets the type of the answer (<c>void</c> for a signal or an update returning a plain <see cref="Task"/>).</summary>
    public Type ResultType => Kind == WorkflowHandlerKind.Signal ? typeof(void) : Unwrap(Method.ReturnType);

    /// <summary>Gets the kind in lower case, as the command line and messages name it (<c>signal</c>, <c>query</c>, <c>update</c>).</summary>
    public string KindName => KindNameOf(Kind);

    /// <summary>Gets the handler as messages name it: <c>signal 'Cancel' of BookingWorkflow</c>.</summary>
    public string DisplayName => $"{KindName} '{Name}' of {WorkflowName}";

    /// <summary>Gets the lower-case name of a handler kind.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns><c>signal</c>, <c>query</c> or <c>update</c>.</returns>
    public static string KindNameOf(WorkflowHandlerKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Gets what an awaited method returns: <c>T</c> for <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c>, <c>void</c>
    /// for <c>Task</c>, <c>ValueTask</c> or <c>void</c>, the type itself otherwise.</summary>
    /// <param name="returnType">A method's return type.</param>
    /// <returns>The result type.</returns>
    public static Type Unwrap(Type returnType)
    {
        if (returnType.IsGenericType && (returnType.GetGenericTypeDefinition() == typeof(Task<>) || returnType.GetGenericTypeDefinition() == typeof(ValueTask<>)))
        {
            return returnType.GetGenericArguments()[0];
        }

        return returnType == typeof(Task) || returnType == typeof(ValueTask) ? typeof(void) : returnType;
    }
}

/// <summary>A discovered activity: its Temporal type name and the method implementing it.</summary>
/// <param name="Name">The activity type name registered with Temporal.</param>
/// <param name="Method">The method marked <see cref="ActivityAttribute"/>.</param>
public sealed record ActivityDescriptor(string Name, MethodInfo Method)
{
    /// <summary>Gets the class declaring the activity (registered as a scoped service when the method is not static).</summary>
    public Type DeclaringType => Method.DeclaringType!;
}

/// <summary>Everything discovered for one domain.</summary>
/// <param name="Domain">The domain.</param>
/// <param name="Workflows">Its workflows, ordered by name.</param>
/// <param name="Activities">Its activities, ordered by name.</param>
public sealed record DomainDescriptor(
    EstuaryDomain Domain,
    IReadOnlyList<WorkflowDescriptor> Workflows,
    IReadOnlyList<ActivityDescriptor> Activities)
{
    /// <summary>Gets the schedules its workflows declare (<see cref="IScheduledWorkflow"/>), ordered by id.</summary>
    public IReadOnlyList<EstuarySchedule> Schedules { get; init; } = [];

    /// <summary>Gets the classes declaring instance activity methods.</summary>
    public IEnumerable<Type> ActivityClasses =>
        Activities.Where(a => !a.Method.IsStatic).Select(a => a.DeclaringType).Distinct();

    /// <summary>Finds a workflow by Temporal name, by class name, or by a short alias (name without the
    /// <c>Workflow</c> suffix), case-insensitively; <c>trigger example example</c> finds <c>ExampleWorkflow</c>.</summary>
    /// <param name="name">What the user typed.</param>
    /// <returns>The workflow, or <c>null</c> when none matches.</returns>
    public WorkflowDescriptor? FindWorkflow(string name) =>
        Workflows.FirstOrDefault(w => string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? Workflows.FirstOrDefault(w => string.Equals(w.Type.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? Workflows.FirstOrDefault(w => string.Equals(ShortName(w.Name), name.Replace("-", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));

    /// <summary>Gets the alias of a workflow name: the name without a trailing <c>Workflow</c>.</summary>
    /// <param name="workflowName">A workflow type name.</param>
    /// <returns>The alias.</returns>
    public static string ShortName(string workflowName) =>
        workflowName.EndsWith("Workflow", StringComparison.Ordinal) && workflowName.Length > "Workflow".Length
            ? workflowName[..^"Workflow".Length]
            : workflowName;
}

/// <summary>
/// Discovers the workflows and activities of domains from their assemblies, so that adding a workflow or an
/// activity needs no registration code anywhere.
/// </summary>
public sealed class DomainCatalog
{
    private readonly Dictionary<string, DomainDescriptor> _byName;

    /// <summary>Initializes a new instance of the <see cref="DomainCatalog"/> class by scanning each domain's assembly.</summary>
    /// <param name="domains">The domains this process knows.</param>
    /// <exception cref="ArgumentException">Two domains share a name.</exception>
    public DomainCatalog(IEnumerable<EstuaryDomain> domains)
    {
        _byName = new Dictionary<string, DomainDescriptor>(StringComparer.OrdinalIgnoreCase);
        foreach (var domain in domains)
        {
            if (!_byName.TryAdd(domain.Name, Discover(domain)))
            {
                throw new ArgumentException($"Domain '{domain.Name}' is declared twice.", nameof(domains));
            }
        }

        var duplicate = _byName.Values.SelectMany(d => d.Schedules.Select(s => (Schedule: s.Id, Domain: d.Domain.Name)))
            .GroupBy(s => s.Schedule, StringComparer.Ordinal)
            .FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException(
                $"Schedule '{duplicate.Key}' is declared more than once (domains {string.Join(", ", duplicate.Select(s => s.Domain).Distinct().Order(StringComparer.Ordinal))}).",
                nameof(domains));
        }
    }

    /// <summary>Gets every domain, ordered by name.</summary>
    public IReadOnlyList<DomainDescriptor> Domains => _byName.Values.OrderBy(d => d.Domain.Name, StringComparer.Ordinal).ToList();

    /// <summary>Finds a domain by name, case-insensitively.</summary>
    /// <param name="name">The domain name.</param>
    /// <returns>The domain, or <c>null</c>.</returns>
    public DomainDescriptor? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Finds the domain and the workflow of a Temporal workflow type (the type a running execution reports).</summary>
    /// <param name="workflowType">The workflow type name, exactly as registered with Temporal.</param>
    /// <returns>The domain and its workflow, or <c>null</c> when no known domain defines that type.</returns>
    public (DomainDescriptor Domain, WorkflowDescriptor Workflow)? FindWorkflowType(string workflowType)
    {
        foreach (var domain in _byName.Values)
        {
            if (domain.Workflows.FirstOrDefault(w => string.Equals(w.Name, workflowType, StringComparison.Ordinal)) is { } workflow)
            {
                return (domain, workflow);
            }
        }

        return null;
    }

    /// <summary>Scans one domain's assembly.</summary>
    /// <param name="domain">The domain.</param>
    /// <returns>What the domain declares.</returns>
    public static DomainDescriptor Discover(EstuaryDomain domain)
    {
        var types = domain.Types.Where(t => t is { IsClass: true, IsAbstract: false } || t is { IsAbstract: true, IsSealed: true }).ToList();

        var workflows = types
            .Where(t => !t.IsAbstract && t.GetCustomAttribute<WorkflowAttribute>(inherit: false) is not null)
            .Select(t =>
            {
                var definition = WorkflowDefinition.Create(t);
                var run = t.GetMethods(BindingFlags.Public | BindingFlags.Instance)
                    .Single(m => m.GetCustomAttribute<WorkflowRunAttribute>() is not null);
                return new WorkflowDescriptor(definition.Name ?? t.Name, t, run) { Handlers = WorkflowDescriptor.HandlersOf(definition) };
            })
            .OrderBy(w => w.Name, StringComparer.Ordinal)
            .ToList();

        var activities = types
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<ActivityAttribute>() is not null)
            .Select(m => new ActivityDescriptor(ActivityName(m), m))
            .OrderBy(a => a.Name, StringComparer.Ordinal)
            .ToList();

        return new DomainDescriptor(domain, workflows, activities) { Schedules = DiscoverSchedules(domain, workflows) };
    }

    /// <summary>The schedules declared by the workflows implementing <see cref="IScheduledWorkflow"/>, each of a workflow of the domain.</summary>
    private static List<EstuarySchedule> DiscoverSchedules(EstuaryDomain domain, List<WorkflowDescriptor> workflows)
    {
        var schedules = new List<EstuarySchedule>();
        foreach (var workflow in workflows.Where(w => typeof(IScheduledWorkflow).IsAssignableFrom(w.Type)))
        {
            var declared = (IReadOnlyList<EstuarySchedule>?)workflow.Type
                .GetProperty(nameof(IScheduledWorkflow.Schedules), BindingFlags.Public | BindingFlags.Static)!
                .GetValue(null) ?? [];
            foreach (var schedule in declared)
            {
                if (!workflows.Any(w => w.Name == schedule.Workflow))
                {
                    throw new ArgumentException(
                        $"Schedule '{schedule.Id}' declared by {workflow.Type.Name} starts workflow '{schedule.Workflow}', which domain '{domain.Name}' does not have.");
                }

                schedules.Add(schedule);
            }
        }

        return schedules.OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
    }

    // Same rule as the SDK's ActivityDefinition: the attribute's name, else the method name less an "Async" suffix.
    private static string ActivityName(MethodInfo method)
    {
        var name = method.GetCustomAttribute<ActivityAttribute>()!.Name;
        if (name is not null)
        {
            return name;
        }

        return method.Name.EndsWith("Async", StringComparison.Ordinal) && method.Name.Length > "Async".Length
            ? method.Name[..^"Async".Length]
            : method.Name;
    }
}
