using Aspire.Hosting.ApplicationModel;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Schedules;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// Dashboard commands that operate a worker's workflows, generated from the catalog the running worker serves
/// (<see cref="Estuary.Temporal.Commands.WorkflowCatalog"/>): adding a workflow, signal, query or update to a domain adds
/// it to the dialogs, with no AppHost code.
/// </summary>
public static class WorkflowCommandExtensions
{
    /// <summary>The command starting a workflow.</summary>
    public const string StartCommand = "start-workflow";

    /// <summary>The command signalling a workflow.</summary>
    public const string SignalCommand = "signal-workflow";

    /// <summary>The command querying a workflow.</summary>
    public const string QueryCommand = "query-workflow";

    /// <summary>The command updating a workflow.</summary>
    public const string UpdateCommand = "update-workflow";

    /// <summary>The command asking a workflow to cancel.</summary>
    public const string CancelCommand = "cancel-workflow";

    /// <summary>The command terminating a workflow.</summary>
    public const string TerminateCommand = "terminate-workflow";

    /// <summary>The command starting a schedule's workflow now.</summary>
    public const string TriggerScheduleCommand = "trigger-schedule";

    /// <summary>The command pausing a schedule.</summary>
    public const string PauseScheduleCommand = "pause-schedule";

    /// <summary>The command unpausing a schedule.</summary>
    public const string UnpauseScheduleCommand = "unpause-schedule";

    /// <summary>The command backfilling a schedule over a period.</summary>
    public const string BackfillScheduleCommand = "backfill-schedule";

    /// <summary>The argument naming the workflow type to start (a choice of the worker's workflows).</summary>
    public const string WorkflowArgument = "workflow";

    /// <summary>The argument holding a workflow id (optional when starting: one is generated).</summary>
    public const string IdArgument = "id";

    /// <summary>The argument naming a signal, query or update (a choice of the running workflow's own).</summary>
    public const string HandlerArgument = "handler";

    /// <summary>The argument holding a termination's reason.</summary>
    public const string ReasonArgument = "reason";

    /// <summary>The argument naming a schedule (a choice of those starting one of the worker's workflows).</summary>
    public const string ScheduleArgument = "schedule";

    /// <summary>The argument holding the note kept on a paused or unpaused schedule.</summary>
    public const string NoteArgument = "note";

    /// <summary>The argument holding the start of a backfill's period (ISO 8601).</summary>
    public const string StartArgument = "start";

    /// <summary>The argument holding the end of a backfill's period (ISO 8601; a run due then is included).</summary>
    public const string EndArgument = "end";

    /// <summary>The argument choosing a backfill's overlap policy (empty: the schedule's own).</summary>
    public const string OverlapArgument = "overlap";

    /// <summary>
    /// Adds to a worker the commands <see cref="StartCommand"/> ("Start workflow": choose one of the worker's workflows, then
    /// type its run method's arguments in a second dialog), <see cref="SignalCommand"/>, <see cref="QueryCommand"/> and
    /// <see cref="UpdateCommand"/> (given a workflow id: choose one of that workflow's own handlers, then type its arguments;
    /// the answer is shown), <see cref="CancelCommand"/> and <see cref="TerminateCommand"/>; and, for the schedules starting
    /// one of its workflows, <see cref="TriggerScheduleCommand"/>, <see cref="PauseScheduleCommand"/>,
    /// <see cref="UnpauseScheduleCommand"/> and <see cref="BackfillScheduleCommand"/>. Arguments are typed as the
    /// workflow declares them and checked by the worker's binder (the command line's) before anything is sent: a problem is
    /// a validation message in the dialog. Workflows are started with the AppHost's Temporal client
    /// (<see cref="Estuary.Temporal.Configuration.TemporalConnectionOptions.ToConnectOptions"/>). The commands are enabled
    /// while the worker is healthy.
    /// </summary>
    /// <param name="worker">The worker.</param>
    /// <param name="temporal">The Temporal resource the worker polls.</param>
    /// <returns>The worker.</returns>
    public static IResourceBuilder<ProjectResource> WithWorkflowCommands(this IResourceBuilder<ProjectResource> worker, IResourceBuilder<TemporalResource> temporal)
    {
        var catalog = new WorkerCatalogClient(worker.GetEndpoint(EstuaryEndpoints.WorkerHttp));
        var client = new TemporalCommandClient(temporal.Resource, worker.ApplicationBuilder.Configuration);
        var commands = new WorkflowCommands(worker.Resource.Name, catalog, client, TemporalUi(temporal.Resource));

        worker.WithCommand(StartCommand, "Start workflow", commands.StartAsync, Options(
            "Starts one of this worker's workflows with typed arguments.",
            "Play",
            commands.ValidateStartAsync,
            commands.WorkflowChoice(),
            new InteractionInput
            {
                Name = IdArgument,
                Label = "Workflow id",
                InputType = InputType.Text,
                Placeholder = "generated when empty",
            }));

        foreach (var (name, kind, display, icon) in new[]
        {
            (SignalCommand, WorkflowHandlerKind.Signal, "Signal workflow", "Send"),
            (QueryCommand, WorkflowHandlerKind.Query, "Query workflow", "QuestionCircle"),
            (UpdateCommand, WorkflowHandlerKind.Update, "Update workflow", "ArrowSync"),
        })
        {
            worker.WithCommand(name, display, context => commands.CallAsync(context, kind), Options(
                $"Sends a {WorkflowHandlerDescriptor.KindNameOf(kind)} of its own to a running workflow of this worker.",
                icon,
                context => commands.ValidateCallAsync(context, kind),
                IdInput(),
                commands.HandlerChoice(kind)));
        }

        worker.WithCommand(CancelCommand, "Cancel workflow", commands.CancelAsync, Options(
            "Asks a running workflow to cancel.", "DismissCircle", commands.ValidateRunningAsync, IdInput()));
        worker.WithCommand(TerminateCommand, "Terminate workflow", commands.TerminateAsync, Options(
            "Terminates a running workflow at once.", "Stop", commands.ValidateRunningAsync, IdInput(),
            new InteractionInput { Name = ReasonArgument, Label = "Reason", InputType = InputType.Text }));

        var schedules = new ScheduleCommands(worker.Resource.Name, catalog, client);
        worker.WithCommand(TriggerScheduleCommand, "Trigger schedule", schedules.TriggerAsync, Options(
            "Starts a schedule's workflow now, as if its time had come.", "CalendarArrowRight", schedules.ValidateAsync, schedules.ScheduleChoice()));
        worker.WithCommand(PauseScheduleCommand, "Pause schedule", schedules.PauseAsync, Options(
            "Pauses a schedule: no workflow starts until it is unpaused.", "Pause", schedules.ValidateAsync, schedules.ScheduleChoice(), NoteInput()));
        worker.WithCommand(UnpauseScheduleCommand, "Unpause schedule", schedules.UnpauseAsync, Options(
            "Unpauses a schedule.", "CalendarPlay", schedules.ValidateAsync, schedules.ScheduleChoice(), NoteInput()));
        worker.WithCommand(BackfillScheduleCommand, "Backfill schedule", schedules.BackfillAsync, Options(
            "Runs a schedule's workflow for every time it was due in a period.", "History", schedules.ValidateAsync,
            schedules.ScheduleChoice(),
            new InteractionInput { Name = StartArgument, Label = "Start", InputType = InputType.Text, Required = true, Placeholder = "2030-01-01T00:00:00Z", Description = "ISO 8601; UTC when no offset." },
            new InteractionInput { Name = EndArgument, Label = "End", InputType = InputType.Text, Required = true, Placeholder = "2030-01-02T00:00:00Z", Description = "ISO 8601; a run due at this very time is included." },
            new InteractionInput
            {
                Name = OverlapArgument,
                Label = "Overlap policy",
                InputType = InputType.Choice,
                Description = "What to do when a run would overlap one still running (empty: the schedule's own policy).",
                Options = [.. ScheduleBackfillText.OverlapPolicies.Select(p => KeyValuePair.Create(p, p))],
            }));
        return worker;
    }

    private static InteractionInput NoteInput() => new() { Name = NoteArgument, Label = "Note", InputType = InputType.Text, Description = "Why, kept as the schedule's note." };

    private static CommandOptions Options(
        string description, string icon, Func<InputsDialogValidationContext, Task> validate, params InteractionInput[] arguments) => new()
    {
        Description = description,
        IconName = icon,
        Arguments = arguments,
        ValidateArguments = validate,
        UpdateState = context => context.ResourceSnapshot.HealthStatus is HealthStatus.Healthy
            ? ResourceCommandState.Enabled
            : ResourceCommandState.Disabled,
    };

    private static InteractionInput IdInput() => new() { Name = IdArgument, Label = "Workflow id", InputType = InputType.Text, Required = true };

    // The Temporal UI's endpoint, where the server resource has one (every local mode does; a deployment's connection
    // string does not).
    private static EndpointReference? TemporalUi(TemporalResource temporal) =>
        temporal.Server is IResourceWithEndpoints server
        && server.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == EstuaryEndpoints.TemporalUi)
            ? server.GetEndpoint(EstuaryEndpoints.TemporalUi)
            : null;
}
