using Estuary.DevServer.Grpc;
using Estuary.DevServer.State;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Protocol.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    private const string WorkflowCompletedMessage = "workflow execution already completed";

    /// <summary>
    /// Admits an update (or finds the one with the same update id) and waits until it reaches the requested stage,
    /// or answers with the stage reached so far shortly before the caller's deadline (the SDK then asks again).
    /// </summary>
    public async Task<UpdateWorkflowExecutionResponse> UpdateWorkflowExecutionAsync(UpdateWorkflowExecutionRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        ValidateUpdateRequest(request);
        WorkflowUpdate update;
        lock (_gate)
        {
            update = AdmitUpdate(request);
        }
        return await UpdateResponseAsync(update, request.WaitPolicy, deadline, cancellationToken);
    }

    private static void ValidateUpdateRequest(UpdateWorkflowExecutionRequest request)
    {
        if (string.IsNullOrEmpty(request.Request?.Meta?.UpdateId))
        {
            throw RpcErrors.InvalidArgument("Update ID is not set on request.");
        }
        if (string.IsNullOrEmpty(request.Request.Input?.Name))
        {
            throw RpcErrors.InvalidArgument("Update name is not set on request.");
        }
    }

    private async Task<UpdateWorkflowExecutionResponse> UpdateResponseAsync(WorkflowUpdate update, WaitPolicy? waitPolicy, DateTime deadline, CancellationToken cancellationToken)
    {
        var (stage, outcome, execution) = await WaitForStageAsync(update, waitPolicy?.LifecycleStage ?? UpdateWorkflowExecutionLifecycleStage.Unspecified,
            deadline, cancellationToken);
        return new UpdateWorkflowExecutionResponse
        {
            UpdateRef = new UpdateRef { WorkflowExecution = execution, UpdateId = update.UpdateId },
            Stage = stage,
            Outcome = outcome,
        };
    }

    /// <summary>Finds the run's update with the request's update id, or admits a new one and gets a workflow task going. Under the gate.</summary>
    private WorkflowUpdate AdmitUpdate(UpdateWorkflowExecutionRequest request)
    {
        var updateId = request.Request.Meta.UpdateId;
        var ns = GetNamespace(request.Namespace);
        var run = GetRun(ns, request.WorkflowExecution?.WorkflowId ?? "", request.WorkflowExecution?.RunId);
        if (!string.IsNullOrEmpty(request.FirstExecutionRunId) && request.FirstExecutionRunId != run.FirstRunId)
        {
            throw RpcErrors.NotFound($"workflow not found for ID: {run.WorkflowId} and first execution run ID {request.FirstExecutionRunId}");
        }
        if (run.Updates.TryGetValue(updateId, out var update))
        {
            return update;
        }
        if (!run.IsRunning)
        {
            throw RpcErrors.NotFound(WorkflowCompletedMessage);
        }
        ThrowIfWorkflowTaskFailing(run, "Unable to perform workflow execution update due to Workflow Task in failed state.");
        update = new WorkflowUpdate { UpdateId = updateId, Request = request.Request, Run = run };
        run.Updates[updateId] = update;
        run.PendingUpdates.Add(update);
        using (Track(run))
        {
            // Once the workflow has state, a task that only carries updates is speculative (see WorkflowTaskState).
            ScheduleWorkflowTaskIfIdle(run, speculative: run.CompletedWorkflowTasks > 0);
        }
        return update;
    }

    /// <summary>The SDK's WorkflowUpdateHandle.GetResultAsync: waits for an admitted update's stage, as UpdateWorkflowExecution does.</summary>
    public async Task<PollWorkflowExecutionUpdateResponse> PollWorkflowExecutionUpdateAsync(PollWorkflowExecutionUpdateRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        var updateId = request.UpdateRef?.UpdateId;
        if (string.IsNullOrEmpty(updateId))
        {
            throw RpcErrors.InvalidArgument("Update ID is not set on request.");
        }
        WorkflowUpdate? update;
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            var execution = request.UpdateRef!.WorkflowExecution;
            var run = GetRun(ns, execution?.WorkflowId ?? "", execution?.RunId);
            if (!run.Updates.TryGetValue(updateId, out update))
            {
                throw RpcErrors.NotFound($"update {updateId} not found");
            }
        }
        var (stage, outcome, updateExecution) = await WaitForStageAsync(update, request.WaitPolicy?.LifecycleStage ?? UpdateWorkflowExecutionLifecycleStage.Unspecified,
            deadline, cancellationToken);
        return new PollWorkflowExecutionUpdateResponse
        {
            UpdateRef = new UpdateRef { WorkflowExecution = updateExecution, UpdateId = updateId },
            Stage = stage,
            Outcome = outcome,
        };
    }

    private async Task<(UpdateWorkflowExecutionLifecycleStage Stage, Outcome? Outcome, Temporalio.Api.Common.V1.WorkflowExecution Execution)> WaitForStageAsync(
        WorkflowUpdate update, UpdateWorkflowExecutionLifecycleStage wanted, DateTime deadline, CancellationToken cancellationToken)
    {
        using var linked = LinkToStopping(cancellationToken);
        var giveUpAt = DateTime.UtcNow + HoldTime(deadline);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (update.Error is { } error)
                {
                    // Every waiter gets its own exception: one instance thrown on several threads would share a stack trace.
                    throw new RpcException(error.Status, error.Trailers);
                }
                var remaining = giveUpAt - DateTime.UtcNow;
                // Unspecified and Admitted ask for the current stage; a completed update answers every stage.
                if (update.Stage >= wanted || update.Outcome is not null || remaining <= TimeSpan.Zero || linked.IsCancellationRequested)
                {
                    return (update.Stage, update.Outcome, update.Run.ToExecution());
                }
                changed = update.WaitForChange();
            }
            try
            {
                await changed.WaitAsync(giveUpAt - DateTime.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero, linked.Token);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                // Answer with the stage reached so far: the next loop sees the time is up.
            }
        }
    }

    /// <summary>Protocol messages carrying every update not yet handed to a worker, sequenced before the task's started event.</summary>
    private static void AttachUpdates(WorkflowRun run, long startedEventId, PollWorkflowTaskQueueResponse response)
    {
        foreach (var update in run.PendingUpdates)
        {
            if (update.IsSent)
            {
                continue;
            }
            update.IsSent = true;
            response.Messages.Add(new Message
            {
                Id = update.RequestMessageId,
                ProtocolInstanceId = update.UpdateId,
                EventId = startedEventId - 1,
                Body = Any.Pack(update.Request),
            });
        }
    }

    /// <summary>Checks the worker's protocol messages (and ProtocolMessage commands) against the run's updates.</summary>
    private static (WorkflowTaskFailedCause Cause, string Message)? ValidateMessages(WorkflowRun run, RespondWorkflowTaskCompletedRequest request)
    {
        var accepting = new HashSet<string>(StringComparer.Ordinal);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in request.Messages)
        {
            if (!ids.Add(message.Id))
            {
                return (WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage, $"Message id {message.Id} appears twice.");
            }
            run.Updates.TryGetValue(message.ProtocolInstanceId, out var update);
            var pending = update is not null && run.PendingUpdates.Contains(update);
            if (message.Body?.Is(Acceptance.Descriptor) == true || message.Body?.Is(Rejection.Descriptor) == true)
            {
                if (!pending || !accepting.Add(message.ProtocolInstanceId))
                {
                    return (WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage,
                        $"Update {message.ProtocolInstanceId} is not waiting for acceptance or rejection.");
                }
                if (message.Body.Is(Rejection.Descriptor))
                {
                    accepting.Remove(message.ProtocolInstanceId);
                }
            }
            else if (message.Body?.Is(Response.Descriptor) == true)
            {
                var accepted = update is { Stage: UpdateWorkflowExecutionLifecycleStage.Accepted, IsFinished: false } || accepting.Contains(message.ProtocolInstanceId);
                if (!accepted)
                {
                    return (WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage, $"Update {message.ProtocolInstanceId} was not accepted and cannot complete.");
                }
            }
            else
            {
                return (WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage, $"Message {message.Id} has a body of unknown type {message.Body?.TypeUrl}.");
            }
        }
        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var command in request.Commands)
        {
            if (command.CommandType != CommandType.ProtocolMessage)
            {
                continue;
            }
            var messageId = command.ProtocolMessageCommandAttributes?.MessageId ?? "";
            if (!ids.Contains(messageId) || !placed.Add(messageId))
            {
                return (WorkflowTaskFailedCause.BadUpdateWorkflowExecutionMessage,
                    $"ProtocolMessage command refers to message {messageId}, which is not in the request or already placed by another command.");
            }
        }
        return null;
    }

    /// <summary>
    /// Applies one message from a completed workflow task: acceptance writes UpdateAccepted, a response writes
    /// UpdateCompleted, a rejection writes nothing and completes the update with the validator's failure.
    /// </summary>
    private void ApplyUpdateMessage(WorkflowRun run, Message message)
    {
        var update = run.Updates[message.ProtocolInstanceId];
        if (message.Body.TryUnpack(out Acceptance acceptance))
        {
            var accepted = run.History.Append(new HistoryEvent
            {
                EventType = EventType.WorkflowExecutionUpdateAccepted,
                WorkflowExecutionUpdateAcceptedEventAttributes = new WorkflowExecutionUpdateAcceptedEventAttributes
                {
                    ProtocolInstanceId = update.UpdateId,
                    AcceptedRequestMessageId = update.RequestMessageId,
                    AcceptedRequestSequencingEventId = acceptance.AcceptedRequestSequencingEventId,
                    AcceptedRequest = update.Request,
                },
            }, Clock.UtcNow);
            run.PendingUpdates.Remove(update);
            update.IsSent = false;
            update.Accept(accepted.EventId);
        }
        else if (message.Body.TryUnpack(out Response response))
        {
            run.History.Append(new HistoryEvent
            {
                EventType = EventType.WorkflowExecutionUpdateCompleted,
                WorkflowExecutionUpdateCompletedEventAttributes = new WorkflowExecutionUpdateCompletedEventAttributes
                {
                    Meta = response.Meta ?? new Meta { UpdateId = update.UpdateId },
                    AcceptedEventId = update.AcceptedEventId,
                    Outcome = response.Outcome,
                },
            }, Clock.UtcNow);
            update.Complete(response.Outcome ?? new Outcome { Success = new Temporalio.Api.Common.V1.Payloads() });
        }
        else if (message.Body.TryUnpack(out Rejection rejection))
        {
            run.PendingUpdates.Remove(update);
            update.IsSent = false;
            update.Complete(new Outcome { Failure = rejection.Failure });
        }
    }

    /// <summary>
    /// Applies the acceptances and responses a worker sent without a ProtocolMessage command (after the commands'
    /// events), then rejects the updates of this task the worker did not answer, as Temporal does.
    /// </summary>
    private void ApplyUnplacedUpdateMessages(WorkflowRun run, IEnumerable<Message> messages)
    {
        foreach (var message in messages)
        {
            ApplyUpdateMessage(run, message);
        }
        foreach (var update in run.PendingUpdates.Where(u => u.IsSent).ToList())
        {
            run.PendingUpdates.Remove(update);
            update.IsSent = false;
            update.Complete(new Outcome { Failure = UnprocessedUpdateFailure() });
        }
    }

    /// <summary>A run closed: accepted updates fail, updates not accepted yet end with Temporal's "already completed" error.</summary>
    private static void AbortUpdates(WorkflowRun run)
    {
        foreach (var update in run.PendingUpdates)
        {
            update.Abort(RpcErrors.NotFound(WorkflowCompletedMessage));
        }
        run.PendingUpdates.Clear();
        foreach (var update in run.Updates.Values)
        {
            if (update.Stage == UpdateWorkflowExecutionLifecycleStage.Accepted && !update.IsFinished)
            {
                update.Complete(new Outcome
                {
                    Failure = ServerFailure("Workflow Update failed because the Workflow completed before the Update completed.", "AcceptedUpdateCompletedWorkflow"),
                });
            }
        }
    }

    /// <summary>Gives an event of a speculative or transient task the id and time it will have if it is written.</summary>
    private static void HoldEvent(HistoryEvent evt, long eventId, DateTime now)
    {
        evt.EventId = eventId;
        evt.TaskId = eventId;
        evt.EventTime = Timestamp.FromDateTime(now);
    }

    /// <summary>Writes a speculative or transient task's events (with the ids and times the worker saw): the task is a normal one from now on.</summary>
    private static void PersistHeldEvents(WorkflowRun run, WorkflowTaskState task)
    {
        if (run.WorkflowTask != task || !(task.IsSpeculative || task.IsTransient))
        {
            return;
        }
        task.IsSpeculative = false;
        task.IsTransient = false;
        foreach (var evt in task.HeldEvents)
        {
            run.History.Append(evt, evt.EventTime.ToDateTime());
        }
        task.HeldEvents.Clear();
    }

    /// <summary>
    /// Temporal's rule for dropping a speculative task: no commands, only rejections, nothing new arrived, and the
    /// task carried no events besides its own unless the worker can take them again.
    /// </summary>
    private static bool CanDiscard(WorkflowRun run, RespondWorkflowTaskCompletedRequest request) =>
        request.Commands.Count == 0
        && !request.ForceCreateNewWorkflowTask
        && !run.HasBufferedEvents
        && request.Messages.All(m => m.Body.Is(Rejection.Descriptor))
        && (run.History.LastEventId == run.PreviousStartedEventId + 1 || request.Capabilities?.DiscardSpeculativeWorkflowTaskWithEvents == true);

    /// <summary>
    /// Drops a speculative task that only rejected updates: nothing is written, and the worker is told to roll its
    /// history back to the last completed task (<c>reset_history_event_id</c>).
    /// </summary>
    private void DiscardSpeculativeTask(WorkflowRun run, WorkflowTaskState task, RespondWorkflowTaskCompletedRequest request, RespondWorkflowTaskCompletedResponse response)
    {
        task.Timeout?.Cancel();
        run.History.BeforeAppend = null;
        run.WorkflowTask = null;
        ApplyStickiness(run, request);
        foreach (var rejection in request.Messages)
        {
            ApplyUpdateMessage(run, rejection);
        }
        ApplyUnplacedUpdateMessages(run, []);
        response.ResetHistoryEventId = run.PreviousStartedEventId;
        if (run.PendingUpdates.Count > 0)
        {
            ScheduleWorkflowTask(run, 1, speculative: true);
        }
        DispatchQueries(run);
    }

    private static Failure UnprocessedUpdateFailure() =>
        ServerFailure("Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
            "UnprocessedUpdate");

    private static Failure ServerFailure(string message, string type) => new()
    {
        Message = message,
        Source = "Server",
        ApplicationFailureInfo = new ApplicationFailureInfo { Type = type, NonRetryable = true },
    };
}
