using System.Linq.Expressions;
using Temporalio.Client;
using Temporalio.Client.Schedules;

namespace Estuary.Temporal.Schedules;

/// <summary>
/// A schedule a workflow declares (see <see cref="IScheduledWorkflow"/>): when its workflow runs (<see cref="Spec"/>),
/// with which arguments and under which policies (overlap, catch-up window, pause on failure). A worker serving the
/// workflow's domain creates it in Temporal, updates it when the declaration changes and deletes it when it is no longer
/// declared; it starts the workflow on the domain's task queue with the workflow id <see cref="WorkflowId"/> followed by
/// the scheduled time, as Temporal names a scheduled workflow.
/// </summary>
public sealed record EstuarySchedule
{
    private EstuarySchedule(string id, string workflow, IReadOnlyList<object?> args, ScheduleSpec spec)
    {
        Id = id;
        Workflow = workflow;
        Args = args;
        Spec = spec;
    }

    /// <summary>Gets the schedule id, unique in the namespace (e.g. <c>payments-nightly-payouts</c>).</summary>
    public string Id { get; }

    /// <summary>Gets the workflow type name the schedule starts.</summary>
    public string Workflow { get; }

    /// <summary>Gets the arguments the workflow is started with.</summary>
    public IReadOnlyList<object?> Args { get; }

    /// <summary>Gets when the workflow runs: calendars, cron expressions, intervals, exclusions, time zone, start and end, jitter.</summary>
    public ScheduleSpec Spec { get; }

    /// <summary>Gets the overlap policy, catch-up window and pause on failure (Temporal's defaults: skip, one year, no).</summary>
    public SchedulePolicy Policy { get; init; } = new();

    /// <summary>Gets the prefix of the started workflows' ids (the schedule id when unset).</summary>
    public string? WorkflowId { get; init; }

    /// <summary>Gets a line saying what the schedule is for, shown as its note until an operator pauses or unpauses it.</summary>
    public string? Description { get; init; }

    /// <summary>Declares a schedule of a workflow without a result.</summary>
    /// <typeparam name="TWorkflow">The workflow class.</typeparam>
    /// <param name="id">The schedule id.</param>
    /// <param name="run">The run method called with its arguments, as for starting the workflow.</param>
    /// <param name="spec">When it runs.</param>
    /// <returns>The declaration.</returns>
    public static EstuarySchedule Create<TWorkflow>(string id, Expression<Func<TWorkflow, Task>> run, ScheduleSpec spec) =>
        From(id, ScheduleActionStartWorkflow.Create(run, Placeholder), spec);

    /// <summary>Declares a schedule of a workflow with a result.</summary>
    /// <typeparam name="TWorkflow">The workflow class.</typeparam>
    /// <typeparam name="TResult">The workflow's result.</typeparam>
    /// <param name="id">The schedule id.</param>
    /// <param name="run">The run method called with its arguments, as for starting the workflow.</param>
    /// <param name="spec">When it runs.</param>
    /// <returns>The declaration.</returns>
    public static EstuarySchedule Create<TWorkflow, TResult>(string id, Expression<Func<TWorkflow, Task<TResult>>> run, ScheduleSpec spec) =>
        From(id, ScheduleActionStartWorkflow.Create(run, Placeholder), spec);

    /// <summary>The schedule as Temporal takes it, starting its workflow on <paramref name="taskQueue"/>.</summary>
    /// <param name="taskQueue">The task queue the workflow's domain is served on.</param>
    /// <param name="workflowMemo">The memo of the workflows it starts, when any.</param>
    /// <returns>The schedule, unpaused.</returns>
    public Schedule ToSchedule(string taskQueue, IReadOnlyDictionary<string, object>? workflowMemo = null) =>
        new(ScheduleActionStartWorkflow.Create(Workflow, Args, new WorkflowOptions(WorkflowId ?? Id, taskQueue) { Memo = workflowMemo }), Spec)
        {
            Policy = Policy,
            State = new ScheduleState { Note = Description },
        };

    /// <summary>
    /// A digest of everything the declaration makes of the schedule on <paramref name="taskQueue"/>: equal for equal
    /// declarations, different when anything that reaches Temporal differs.
    /// </summary>
    /// <param name="taskQueue">The task queue the workflow's domain is served on.</param>
    /// <returns>A hexadecimal SHA-256.</returns>
    public string Fingerprint(string taskQueue)
    {
        var converter = Temporalio.Converters.DataConverter.Default.PayloadConverter;
        var canonical = System.Text.Json.JsonSerializer.Serialize(new
        {
            Id,
            Workflow,
            Args = Args.Select(a => Convert.ToBase64String(Google.Protobuf.MessageExtensions.ToByteArray(converter.ToPayload(a)))).ToList(),
            TaskQueue = taskQueue,
            WorkflowId = WorkflowId ?? Id,
            Spec,
            Policy,
            Description,
        });
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));
    }

    // The lambda names the workflow and its arguments; id and task queue are the worker's to choose.
    private static WorkflowOptions Placeholder => new("placeholder", "placeholder");

    private static EstuarySchedule From(string id, ScheduleActionStartWorkflow action, ScheduleSpec spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(spec);
        return new EstuarySchedule(id, action.Workflow, action.Args.ToList(), spec);
    }
}
