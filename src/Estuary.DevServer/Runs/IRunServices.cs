using Estuary.DevServer.Runs.Lifecycles;
using Estuary.DevServer.Time;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Sdk.V1;

namespace Estuary.DevServer.Runs;

/// <summary>
/// What a run asks of the server around it: time and timers, task queues, the registry of runs, and effects on
/// other runs. A run calls these with its lock held; effects on other runs are carried out after that lock is
/// released, within the same change unit (so they are stored together with the change that caused them).
/// </summary>
internal interface IRunServices
{
    /// <summary>Current server time.</summary>
    DateTime Now { get; }

    /// <summary>
    /// Calls <paramref name="onDue"/> at server time <paramref name="due"/>, under the run's lock and in a change unit,
    /// unless the returned timer was cancelled first.
    /// </summary>
    ScheduledTimer Arm(WorkflowRun run, DateTime due, Action onDue);

    /// <summary>Offers the run to pollers of a workflow task queue (its scheduled task, or a waiting query).</summary>
    void Enqueue(WorkflowRun run, string queueName);

    /// <summary>Offers a scheduled activity to pollers of its task queue.</summary>
    void Enqueue(ActivityLifecycle activity);

    /// <summary>
    /// Whether the run's next workflow task may go to the sticky queue of the worker that completed its last one: not
    /// when worker versioning now routes the run to another version.
    /// </summary>
    bool MayStaySticky(WorkflowRun run);

    /// <summary>Whether the worker behind a sticky queue said it shut down.</summary>
    bool IsShutDown(string namespaceName, string stickyQueue);

    /// <summary>
    /// Records that <paramref name="run"/> changes in the current unit (so the change is stored and time skipping
    /// counts the run's outstanding tasks right); dispose after the change. Needed for every run changed besides the
    /// one a unit started with.
    /// </summary>
    IDisposable Track(WorkflowRun run);

    /// <summary>
    /// Creates, registers and starts a run of <paramref name="previous"/>'s workflow id (the caller holds the id's lock),
    /// with <paramref name="userMetadata"/> as its static summary and details.
    /// </summary>
    WorkflowRun StartNextRun(WorkflowRun previous, string runId, WorkflowExecutionStartedEventAttributes started, UserMetadata? userMetadata);

    /// <summary>Checks search attributes set by a workflow against the registered ones; Temporal's message, or null.</summary>
    string? InvalidSearchAttributes(SearchAttributes? attributes);

    /// <summary>Offers the run's oldest waiting query to a worker once the run can answer it.</summary>
    void DispatchQueries(WorkflowRun run);

    /// <summary>
    /// The run closed: tell its parent, apply its children's parent close policies, fail its waiting queries'
    /// guards and drop closed runs beyond retention.
    /// </summary>
    void Closed(WorkflowRun run, IReadOnlyList<ChildWorkflowLifecycle> openChildren);

    /// <summary>Starts the child a StartChildWorkflowExecution command initiated, then records the outcome in the parent.</summary>
    void StartChild(WorkflowRun parent, ChildWorkflowLifecycle child, string identity);

    /// <summary>Signals the target of a SignalExternalWorkflowExecution command, then records the outcome in the source.</summary>
    void SignalExternal(WorkflowRun source, HistoryEvent initiated, SignalExternalWorkflowExecutionCommandAttributes command);

    /// <summary>Requests cancellation of the target of a RequestCancelExternalWorkflowExecution command, then records the outcome.</summary>
    void RequestCancelExternal(WorkflowRun source, HistoryEvent initiated, RequestCancelExternalWorkflowExecutionCommandAttributes command, string identity);
}
