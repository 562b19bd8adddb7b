using Estuary.DevServer.Grpc;
using Estuary.DevServer.Time;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using TaskQueueMessage = Temporalio.Api.TaskQueue.V1.TaskQueue;

namespace Estuary.DevServer.Runs.Lifecycles;

/// <summary>
/// How a run ends and what follows it on the same workflow id. On completion, failure, cancellation, timeout,
/// termination or continue-as-new the close event is written and the run closed; then, in this order: a failed or
/// timed-out run is retried under its retry policy (the next attempt after the backoff); a cron run that completed,
/// failed or timed out (retries exhausted) starts the next run at the next scheduled time; continue-as-new starts
/// the new run at once (after its backoff). Termination and cancellation end the chain; the execution timeout bounds
/// all of it. The close event names the next run (<c>new_execution_run_id</c>).
/// </summary>
internal static class RunChain
{
    /// <summary>A CompleteWorkflowExecution command: WorkflowExecutionCompleted, then the next cron run if any.</summary>
    public static void Complete(WorkflowRun run, Payloads? result, long completedEventId)
    {
        var cronRunId = NextCronRunId(run);
        run.History.Append(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionCompleted,
            WorkflowExecutionCompletedEventAttributes = new WorkflowExecutionCompletedEventAttributes
            {
                Result = result,
                WorkflowTaskCompletedEventId = completedEventId,
                NewExecutionRunId = cronRunId ?? "",
            },
        }, run.Now);
        run.Close(WorkflowExecutionStatus.Completed, cronRunId);
        StartCronRun(run, cronRunId, result, null);
    }

    /// <summary>A FailWorkflowExecution command: WorkflowExecutionFailed, then a retry or the next cron run.</summary>
    public static void Fail(WorkflowRun run, Failure failure, long completedEventId)
    {
        var retry = NextRetry(run, failure, isTimeout: false);
        var attributes = new WorkflowExecutionFailedEventAttributes
        {
            Failure = failure,
            RetryState = retry.State,
            WorkflowTaskCompletedEventId = completedEventId,
        };
        var cronRunId = retry.Backoff is null ? NextCronRunId(run) : null;
        var newRunId = retry.Backoff is null ? cronRunId : Guid.NewGuid().ToString();
        if (newRunId is not null)
        {
            attributes.NewExecutionRunId = newRunId;
        }
        run.History.Append(new HistoryEvent { EventType = EventType.WorkflowExecutionFailed, WorkflowExecutionFailedEventAttributes = attributes }, run.Now);
        run.Close(WorkflowExecutionStatus.Failed, newRunId);
        if (retry.Backoff is { } backoff)
        {
            StartRetryRun(run, newRunId!, backoff, failure);
        }
        StartCronRun(run, cronRunId, null, failure);
    }

    /// <summary>A CancelWorkflowExecution command: WorkflowExecutionCanceled ends the chain.</summary>
    public static void Cancel(WorkflowRun run, Payloads? details, long completedEventId)
    {
        run.History.Append(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionCanceled,
            WorkflowExecutionCanceledEventAttributes = new WorkflowExecutionCanceledEventAttributes
            {
                Details = details,
                WorkflowTaskCompletedEventId = completedEventId,
            },
        }, run.Now);
        run.Close(WorkflowExecutionStatus.Canceled, null);
    }

    /// <summary>The run's deadline fell due: WorkflowExecutionTimedOut, then a retry or the next cron run.</summary>
    public static void TimeOut(WorkflowRun run)
    {
        if (!run.IsRunning)
        {
            return;
        }
        run.FlushBuffer();
        var retry = NextRetry(run, null, isTimeout: true);
        var attributes = new WorkflowExecutionTimedOutEventAttributes { RetryState = retry.State };
        var cronRunId = retry.Backoff is null ? NextCronRunId(run) : null;
        var newRunId = retry.Backoff is null ? cronRunId : Guid.NewGuid().ToString();
        if (newRunId is not null)
        {
            attributes.NewExecutionRunId = newRunId;
        }
        run.History.Append(new HistoryEvent { EventType = EventType.WorkflowExecutionTimedOut, WorkflowExecutionTimedOutEventAttributes = attributes }, run.Now);
        run.Close(WorkflowExecutionStatus.TimedOut, newRunId);
        if (retry.Backoff is { } backoff)
        {
            StartRetryRun(run, newRunId!, backoff, null);
        }
        StartCronRun(run, cronRunId, null, new Failure { Message = "workflow timeout", TimeoutFailureInfo = new TimeoutFailureInfo { TimeoutType = TimeoutType.StartToClose } });
    }

    /// <summary>A ContinueAsNewWorkflowExecution command: WorkflowExecutionContinuedAsNew and the new run.</summary>
    public static void ContinueAsNew(WorkflowRun run, ContinueAsNewWorkflowExecutionCommandAttributes command, long completedEventId)
    {
        var old = run.Started;
        var newRunId = Guid.NewGuid().ToString();
        var workflowType = string.IsNullOrEmpty(command.WorkflowType?.Name) ? old.WorkflowType : command.WorkflowType;
        var taskQueue = string.IsNullOrEmpty(command.TaskQueue?.Name) ? old.TaskQueue : new TaskQueueMessage { Name = command.TaskQueue.Name, Kind = TaskQueueKind.Normal };
        var runTimeout = IsUnset(command.WorkflowRunTimeout) ? old.WorkflowRunTimeout : command.WorkflowRunTimeout;
        var taskTimeout = IsUnset(command.WorkflowTaskTimeout) ? old.WorkflowTaskTimeout : command.WorkflowTaskTimeout;
        var memo = command.Memo ?? run.Memo;
        var searchAttributes = command.SearchAttributes ?? run.SearchAttributes;
        var initiator = command.Initiator == ContinueAsNewInitiator.Unspecified ? ContinueAsNewInitiator.Workflow : command.Initiator;
        run.History.Append(new HistoryEvent
        {
            EventType = EventType.WorkflowExecutionContinuedAsNew,
            WorkflowExecutionContinuedAsNewEventAttributes = new WorkflowExecutionContinuedAsNewEventAttributes
            {
                NewExecutionRunId = newRunId,
                WorkflowType = workflowType,
                TaskQueue = taskQueue,
                Input = command.Input,
                WorkflowRunTimeout = runTimeout,
                WorkflowTaskTimeout = taskTimeout,
                WorkflowTaskCompletedEventId = completedEventId,
                BackoffStartInterval = command.BackoffStartInterval,
                Initiator = initiator,
                LastCompletionResult = command.LastCompletionResult,
                Header = command.Header,
                Memo = memo,
                SearchAttributes = searchAttributes,
            },
        }, run.Now);
        run.Close(WorkflowExecutionStatus.ContinuedAsNew, newRunId);
        var started = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = workflowType,
            TaskQueue = taskQueue,
            Input = command.Input,
            WorkflowExecutionTimeout = old.WorkflowExecutionTimeout,
            WorkflowRunTimeout = runTimeout,
            WorkflowTaskTimeout = taskTimeout,
            Identity = old.Identity,
            RetryPolicy = command.RetryPolicy is null ? old.RetryPolicy : RetryPolicies.WithDefaults(command.RetryPolicy),
            Attempt = 1,
            WorkflowExecutionExpirationTime = old.WorkflowExecutionExpirationTime,
            Memo = memo,
            SearchAttributes = searchAttributes,
            Header = command.Header,
            ContinuedFailure = command.Failure,
            LastCompletionResult = command.LastCompletionResult,
            Initiator = initiator,
            FirstWorkflowTaskBackoff = command.BackoffStartInterval,
            Priority = old.Priority,

            // As in Temporal, the new run's schedule comes from the command only, and its first task waits only for the
            // command's backoff; the schedule applies when the new run closes.
            CronSchedule = command.CronSchedule,
        };
        // The new run is started by the command, which carries no static summary: as in Temporal it has none.
        run.Services.StartNextRun(run, newRunId, started, null);
    }

    public static bool IsUnset(Duration? duration) => duration is null || duration.ToTimeSpan() <= TimeSpan.Zero;

    /// <summary>The status and next run a close event stands for (replay), or null for any other event.</summary>
    public static (WorkflowExecutionStatus Status, string? NextRunId)? CloseOf(HistoryEvent evt) => evt.EventType switch
    {
        EventType.WorkflowExecutionCompleted => (WorkflowExecutionStatus.Completed, NullIfEmpty(evt.WorkflowExecutionCompletedEventAttributes.NewExecutionRunId)),
        EventType.WorkflowExecutionFailed => (WorkflowExecutionStatus.Failed, NullIfEmpty(evt.WorkflowExecutionFailedEventAttributes.NewExecutionRunId)),
        EventType.WorkflowExecutionTimedOut => (WorkflowExecutionStatus.TimedOut, NullIfEmpty(evt.WorkflowExecutionTimedOutEventAttributes.NewExecutionRunId)),
        EventType.WorkflowExecutionCanceled => (WorkflowExecutionStatus.Canceled, null),
        EventType.WorkflowExecutionTerminated => (WorkflowExecutionStatus.Terminated, null),
        EventType.WorkflowExecutionContinuedAsNew => (WorkflowExecutionStatus.ContinuedAsNew, evt.WorkflowExecutionContinuedAsNewEventAttributes.NewExecutionRunId),
        _ => null,
    };

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Decides whether a failed or timed-out run is retried under its workflow retry policy.</summary>
    private static (RetryState State, TimeSpan? Backoff) NextRetry(WorkflowRun run, Failure? failure, bool isTimeout)
    {
        var policy = run.Started.RetryPolicy;
        if (policy is null)
        {
            return (isTimeout ? RetryState.Timeout : RetryState.RetryPolicyNotSet, null);
        }
        var decision = RetryPolicies.Decide(policy, run.Started.Attempt, failure, null);
        if (decision.Backoff is { } backoff && run.Started.WorkflowExecutionExpirationTime?.ToDateTime() is { } expiration
            && run.Now + backoff >= expiration)
        {
            return (RetryState.Timeout, null);
        }
        return decision;
    }

    /// <summary>Starts the next attempt of a run that failed or timed out under its retry policy.</summary>
    private static void StartRetryRun(WorkflowRun previous, string runId, TimeSpan backoff, Failure? failure) =>
        StartNextRun(previous, runId, ContinueAsNewInitiator.Retry, previous.Started.Attempt + 1, backoff, previous.Started.LastCompletionResult, failure);

    /// <summary>
    /// Starts the run that follows <paramref name="previous"/> on the server's own initiative (a retry or the next cron
    /// run): the same workflow with the same input, options, memo and search attributes, chained to it.
    /// </summary>
    private static void StartNextRun(
        WorkflowRun previous, string runId, ContinueAsNewInitiator initiator, int attempt, TimeSpan backoff, Payloads? lastCompletionResult, Failure? failure)
    {
        var old = previous.Started;
        var started = new WorkflowExecutionStartedEventAttributes
        {
            WorkflowType = old.WorkflowType,
            TaskQueue = old.TaskQueue,
            Input = old.Input,
            WorkflowExecutionTimeout = old.WorkflowExecutionTimeout,
            WorkflowRunTimeout = old.WorkflowRunTimeout,
            WorkflowTaskTimeout = old.WorkflowTaskTimeout,
            Identity = old.Identity,
            RetryPolicy = old.RetryPolicy,
            Attempt = attempt,
            WorkflowExecutionExpirationTime = old.WorkflowExecutionExpirationTime,
            CronSchedule = old.CronSchedule,
            Memo = previous.Memo,
            SearchAttributes = previous.SearchAttributes,
            Header = old.Header,
            LastCompletionResult = lastCompletionResult,
            ContinuedFailure = failure,
            Initiator = initiator,
            FirstWorkflowTaskBackoff = Duration.FromTimeSpan(backoff),
            Priority = old.Priority,
        };
        previous.Services.StartNextRun(previous, runId, started, previous.UserMetadata);
    }

    /// <summary>Parses a request's cron schedule; an invalid one answers InvalidArgument naming the problem.</summary>
    public static CronSchedule ParseCron(string spec)
    {
        try
        {
            return CronSchedule.Parse(spec);
        }
        catch (FormatException e)
        {
            throw RpcErrors.InvalidArgument($"Invalid CronSchedule '{spec}': {e.Message}.");
        }
    }

    /// <summary>Why a cron schedule carried by a command is invalid (Temporal's wording), or null when it is empty or valid.</summary>
    public static string? InvalidCronSchedule(string spec)
    {
        if (string.IsNullOrEmpty(spec))
        {
            return null;
        }
        try
        {
            CronSchedule.Parse(spec);
            return null;
        }
        catch (FormatException e)
        {
            return $"Invalid CronSchedule '{spec}': {e.Message}.";
        }
    }

    /// <summary>Time from <paramref name="now"/> to the schedule's next time (zero when it has none).</summary>
    public static TimeSpan CronBackoff(CronSchedule schedule, DateTime now) =>
        schedule.Next(now) is { } next ? next - now : TimeSpan.Zero;

    /// <summary>
    /// The run id for the next run of a cron workflow closing now, or null when the run is not a cron run, the
    /// execution timeout has passed or the next scheduled time falls after it.
    /// </summary>
    private static string? NextCronRunId(WorkflowRun run)
    {
        if (string.IsNullOrEmpty(run.Started.CronSchedule))
        {
            return null;
        }
        var next = CronSchedule.Parse(run.Started.CronSchedule).Next(run.Now);
        if (next is null)
        {
            return null;
        }
        if (run.Started.WorkflowExecutionExpirationTime?.ToDateTime() is { } expiration && next.Value >= expiration)
        {
            return null;
        }
        return Guid.NewGuid().ToString();
    }

    /// <summary>Starts the next run of a cron chain (no-op when <paramref name="runId"/> is null), waiting until the next scheduled time.</summary>
    private static void StartCronRun(WorkflowRun previous, string? runId, Payloads? completionResult, Failure? failure)
    {
        if (runId is null)
        {
            return;
        }
        var backoff = CronBackoff(CronSchedule.Parse(previous.Started.CronSchedule), previous.Now);

        // A failed run hands on its failure and keeps the last successful result, as Temporal does.
        StartNextRun(
            previous, runId, ContinueAsNewInitiator.CronSchedule, attempt: 1, backoff,
            failure is null ? completionResult : previous.Started.LastCompletionResult, failure);
    }
}
