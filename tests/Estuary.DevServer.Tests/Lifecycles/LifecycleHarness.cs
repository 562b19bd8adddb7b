using Estuary.DevServer.Namespaces;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Runs.Lifecycles;
using Estuary.DevServer.Time;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Tests.Lifecycles;

/// <summary>
/// A run with everything around it faked, to drive its lifecycles directly, without gRPC: a hand-moved clock, alarms
/// that fire when the test says, and a record of what the run asked of the server.
/// </summary>
internal sealed class LifecycleHarness : IRunServices
{
    private readonly List<(ScheduledTimer Timer, Action OnDue)> _alarms = [];

    public LifecycleHarness(WorkflowExecutionStartedEventAttributes? started = null)
    {
        var ns = new NamespaceEntry { Name = "default", Id = "ns-id", Retention = TimeSpan.FromDays(1) };
        Entry = ns.Workflow("wf");
        started ??= new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = new WorkflowType { Name = "Test" },
            TaskQueue = new Temporalio.Api.TaskQueue.V1.TaskQueue { Name = "tq", Kind = TaskQueueKind.Normal },
            WorkflowTaskTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
            Attempt = 1,
        };
        Run = NewRun("run-1", started);
    }

    public DateTime Now { get; set; } = new(2030, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    public WorkflowIdEntry Entry { get; }

    public WorkflowRun Run { get; }

    /// <summary>Queues the run or its activities were offered to, in order.</summary>
    public List<string> Enqueued { get; } = [];

    /// <summary>Runs started after this one (retry, cron, continue-as-new).</summary>
    public List<WorkflowRun> NextRuns { get; } = [];

    public List<string> Effects { get; } = [];

    public WorkflowRun NewRun(string runId, WorkflowExecutionStartedEventAttributes started)
    {
        var run = new WorkflowRun(this, Entry, runId, "request-" + runId, started, Now);
        Entry.Latest = run;
        run.Begin(dispatchFirstTask: true);
        return run;
    }

    /// <summary>Alarms armed and neither fired nor cancelled, earliest first.</summary>
    public IEnumerable<DateTime> PendingAlarms => _alarms.Where(a => !a.Timer.IsCancelled).Select(a => a.Timer.Due).Order();

    /// <summary>Moves the clock to <paramref name="time"/> and fires every alarm due by then, in due order.</summary>
    public void AdvanceTo(DateTime time)
    {
        while (_alarms.Where(a => !a.Timer.IsCancelled && a.Timer.Due <= time).OrderBy(a => a.Timer.Due).FirstOrDefault() is { Timer: not null } next)
        {
            Now = next.Timer.Due > Now ? next.Timer.Due : Now;
            next.Timer.Cancel();
            next.OnDue();
        }
        Now = time;
    }

    public void Advance(TimeSpan by) => AdvanceTo(Now + by);

    public List<EventType> EventTypes(WorkflowRun? run = null) => (run ?? Run).History.Events.Select(e => e.EventType).ToList();

    /// <summary>Starts the run's scheduled workflow task as a poll would.</summary>
    public PollWorkflowTaskQueueResponse StartWorkflowTask(string identity = "worker") =>
        Run.WorkflowTasks.Start(Run.WorkflowTasks.Current!, identity, Guid.NewGuid().ToString());

    /// <summary>Completes the run's started workflow task with <paramref name="commands"/>.</summary>
    public RespondWorkflowTaskCompletedResponse CompleteWorkflowTask(params Command[] commands)
    {
        var request = new RespondWorkflowTaskCompletedRequest { Identity = "worker" };
        request.Commands.AddRange(commands);
        var response = new RespondWorkflowTaskCompletedResponse();
        WorkflowTaskCompletion.Apply(Run, Run.WorkflowTasks.Current!, request, response);
        return response;
    }

    public ScheduledTimer Arm(WorkflowRun run, DateTime due, Action onDue)
    {
        var timer = new ScheduledTimer(due, _ => { });
        _alarms.Add((timer, onDue));
        return timer;
    }

    public void Enqueue(WorkflowRun run, string queueName) => Enqueued.Add(queueName);

    public void Enqueue(ActivityLifecycle activity) => Enqueued.Add($"activity {activity.Attributes.ActivityId} on {activity.Attributes.TaskQueue.Name}");

    public bool MayStaySticky(WorkflowRun run) => true;

    public bool IsShutDown(string namespaceName, string stickyQueue) => false;

    public IDisposable Track(WorkflowRun run) => new Untracked();

    public WorkflowRun StartNextRun(WorkflowRun previous, string runId, WorkflowExecutionStartedEventAttributes started, Temporalio.Api.Sdk.V1.UserMetadata? userMetadata)
    {
        started.FirstExecutionRunId = previous.FirstRunId;
        var run = NewRun(runId, started);
        NextRuns.Add(run);
        return run;
    }

    public string? InvalidSearchAttributes(SearchAttributes? attributes) => null;

    public void DispatchQueries(WorkflowRun run)
    {
    }

    public void Closed(WorkflowRun run, IReadOnlyList<ChildWorkflowLifecycle> openChildren) =>
        Effects.Add($"closed {run.RunId} with {openChildren.Count} open children");

    public void StartChild(WorkflowRun parent, ChildWorkflowLifecycle child, string identity) => Effects.Add($"start child {child.WorkflowId}");

    public void SignalExternal(WorkflowRun source, HistoryEvent initiated, SignalExternalWorkflowExecutionCommandAttributes command) =>
        Effects.Add($"signal {command.Execution.WorkflowId}");

    public void RequestCancelExternal(WorkflowRun source, HistoryEvent initiated, RequestCancelExternalWorkflowExecutionCommandAttributes command, string identity) =>
        Effects.Add($"cancel {command.WorkflowId}");

    private sealed class Untracked : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
