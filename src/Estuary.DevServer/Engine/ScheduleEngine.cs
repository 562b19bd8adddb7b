using System.Collections.Concurrent;
using Estuary.DevServer.Engine.Operations;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Schedules;
using Estuary.DevServer.Store;
using Estuary.DevServer.Time;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

/// <summary>
/// The server's schedules (by namespace and schedule id) and what a schedule asks of the server
/// (<see cref="IScheduleServices"/>): timers on the server's clock, workflow starts through the same path as
/// <c>StartWorkflowExecution</c>, and word of the workflow chains it started ending — a run closing without a retry or
/// continue-as-new after it is reported to its schedule at the end of the unit that closed it. Schedules with nothing
/// left to do are dropped after their retention by a sweep on the wall clock (a timer on the server's clock would
/// make time skipping jump to it).
/// </summary>
internal sealed class ScheduleEngine : IScheduleServices, IAsyncDisposable
{
    private static readonly TimeSpan RetentionSweepInterval = TimeSpan.FromSeconds(1);

    private readonly DevServerEngine _engine;
    private readonly WorkflowOperations _workflows;
    private readonly ConcurrentDictionary<(string Namespace, string ScheduleId), ScheduleLifecycle> _schedules = new();
    private readonly ConcurrentDictionary<(string Namespace, string WorkflowId), (ScheduleLifecycle Schedule, string FirstRunId)> _watched = new();
    private ITimer? _retentionSweep;

    public ScheduleEngine(DevServerEngine engine)
    {
        _engine = engine;
        _workflows = new WorkflowOperations(engine);
    }

    public DateTime Now => _engine.Now;

    public ILogger Logger => _engine.Logger;

    /// <summary>The schedule <paramref name="scheduleId"/> of <paramref name="namespaceName"/>, or null.</summary>
    public ScheduleLifecycle? Find(string namespaceName, string scheduleId) =>
        _schedules.TryGetValue((namespaceName, scheduleId), out var schedule) ? schedule : null;

    /// <summary>The schedules of a namespace.</summary>
    public IEnumerable<ScheduleLifecycle> In(string namespaceName) =>
        _schedules.Where(entry => entry.Key.Namespace == namespaceName).Select(entry => entry.Value);

    /// <summary>Registers a new schedule; false when the id is taken.</summary>
    public bool TryAdd(ScheduleLifecycle schedule) => _schedules.TryAdd((schedule.Namespace, schedule.ScheduleId), schedule);

    /// <summary>Deletes a schedule (its lock held, in a unit): it takes no more actions and the store forgets it.</summary>
    public void Remove(ScheduleLifecycle schedule)
    {
        schedule.Delete();
        _schedules.TryRemove(new KeyValuePair<(string, string), ScheduleLifecycle>((schedule.Namespace, schedule.ScheduleId), schedule));
        _engine.Changes.ForgetSchedule(schedule);
    }

    /// <summary>Rebuilds the stored schedules (before the runs resume, so a run closing then reaches its schedule).</summary>
    public void Restore(IEnumerable<StoredSchedule> stored)
    {
        foreach (var record in stored)
        {
            if (_engine.Namespaces.Find(record.Namespace) is null)
            {
                continue;
            }
            var schedule = ScheduleLifecycle.Restore(this, record.Namespace, record.ScheduleId, record.Record);
            _schedules[(schedule.Namespace, schedule.ScheduleId)] = schedule;
        }
    }

    /// <summary>
    /// After a restart (in a unit): each schedule learns which of its workflows closed while it was not told (or are gone),
    /// takes the times that passed within its catch-up window, and arms its next time.
    /// </summary>
    public void Resume()
    {
        foreach (var schedule in _schedules.Values)
        {
            lock (schedule.Gate)
            {
                foreach (var running in schedule.Info.RunningWorkflows.ToList())
                {
                    if (Ended(schedule, running) is var (status, result, failure))
                    {
                        schedule.WorkflowClosed(running.WorkflowId, status, result, failure);
                    }
                }
                schedule.Resume();
            }
        }
    }

    /// <summary>How a chain a schedule started ended, or null while it runs (a chain that is gone ends unspecified).</summary>
    private (WorkflowExecutionStatus Status, Payloads? Result, Failure? Failure)? Ended(ScheduleLifecycle schedule, WorkflowExecution chain)
    {
        if (_engine.Namespaces.Find(schedule.Namespace)?.LatestRun(chain.WorkflowId) is not { } run)
        {
            return (WorkflowExecutionStatus.Unspecified, null, null);
        }
        return DevServerEngine.Read<(WorkflowExecutionStatus, Payloads?, Failure?)?>(run, () =>
            run.FirstRunId != chain.RunId ? (WorkflowExecutionStatus.Unspecified, null, null)
            : run.IsRunning || run.NextRunId is not null ? null
            : Outcome(run));
    }

    /// <summary>Starts dropping schedules past their retention.</summary>
    public void Start() =>
        _retentionSweep = _engine.WallClock.CreateTimer(_ => SweepExpired(), null, RetentionSweepInterval, RetentionSweepInterval);

    public async ValueTask DisposeAsync()
    {
        if (_retentionSweep is not null)
        {
            await _retentionSweep.DisposeAsync();
        }
    }

    private void SweepExpired()
    {
        try
        {
            _engine.RunUnit(() =>
            {
                var now = Now;
                foreach (var schedule in _schedules.Values)
                {
                    lock (schedule.Gate)
                    {
                        if (!schedule.IsDeleted && schedule.RetentionExpiry() is { } expiry && expiry <= now)
                        {
                            Logger.LogInformation("Schedule {ScheduleId} has had nothing left to do since {Expiry:O} minus its retention", schedule.ScheduleId, expiry);
                            Remove(schedule);
                        }
                    }
                }
            });
        }
        catch (ObjectDisposedException)
        {
            // The server is stopping.
        }
    }

    /// <summary>
    /// A run closed (its lock held, in a unit): when it ends a chain a schedule started, the schedule hears of it at the
    /// end of the unit. Time does not skip in between, so what the schedule starts next starts at the time it closed.
    /// </summary>
    public void RunClosed(WorkflowRun run)
    {
        if (run.NextRunId is not null
            || !_watched.TryGetValue((run.Namespace.Name, run.WorkflowId), out var watch)
            || watch.FirstRunId != run.FirstRunId)
        {
            return;
        }
        var (status, result, failure) = Outcome(run);
        ChangeLog.Current!.Defer(() =>
        {
            lock (watch.Schedule.Gate)
            {
                if (!watch.Schedule.IsDeleted)
                {
                    watch.Schedule.WorkflowClosed(run.WorkflowId, status, result, failure);
                }
            }
        });
    }

    private static (WorkflowExecutionStatus Status, Payloads? Result, Failure? Failure) Outcome(WorkflowRun run)
    {
        var close = run.History.LastEvent;
        return close?.EventType switch
        {
            EventType.WorkflowExecutionCompleted => (run.Status, close.WorkflowExecutionCompletedEventAttributes.Result, null),
            EventType.WorkflowExecutionFailed => (run.Status, null, close.WorkflowExecutionFailedEventAttributes.Failure),
            _ => (run.Status, null, null),
        };
    }

    // ---- IScheduleServices ----

    public ScheduledTimer Arm(ScheduleLifecycle schedule, DateTime due, Action onDue) =>
        _engine.Clock.Schedule(due, timer =>
        {
            try
            {
                _engine.RunUnit(() =>
                {
                    lock (schedule.Gate)
                    {
                        if (!timer.IsCancelled && !schedule.IsDeleted)
                        {
                            onDue();
                        }
                    }
                });
            }
            catch (ObjectDisposedException)
            {
                // The server is stopping.
            }
        });

    public string StartWorkflow(StartWorkflowExecutionRequest request) => _workflows.Start(request).RunId;

    public void Terminate(ScheduleLifecycle schedule, WorkflowExecution execution, string reason) =>
        OnRunningChain(schedule, execution, run => run.Terminate(reason, null, $"temporal-scheduler-{schedule.Namespace}-{schedule.ScheduleId}"));

    public void RequestCancel(ScheduleLifecycle schedule, WorkflowExecution execution, string reason) =>
        OnRunningChain(schedule, execution, run => run.RequestCancel(reason, $"temporal-scheduler-{schedule.Namespace}-{schedule.ScheduleId}"));

    private void OnRunningChain(ScheduleLifecycle schedule, WorkflowExecution execution, Action<WorkflowRun> action)
    {
        if (_engine.Namespaces.Find(schedule.Namespace)?.LatestRun(execution.WorkflowId) is not { } run)
        {
            return;
        }
        _engine.Change(run, () =>
        {
            if (run.IsRunning && run.FirstRunId == execution.RunId)
            {
                action(run);
            }
            return true;
        });
    }

    public void Watch(ScheduleLifecycle schedule, WorkflowExecution execution) =>
        _watched[(schedule.Namespace, execution.WorkflowId)] = (schedule, execution.RunId);

    public void Unwatch(ScheduleLifecycle schedule, WorkflowExecution execution) =>
        _watched.TryRemove(new KeyValuePair<(string, string), (ScheduleLifecycle, string)>((schedule.Namespace, execution.WorkflowId), (schedule, execution.RunId)));

    public void Changed(ScheduleLifecycle schedule) => _engine.Changes.TouchSchedule(schedule);
}
