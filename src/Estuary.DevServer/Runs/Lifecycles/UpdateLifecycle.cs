using Estuary.DevServer.Grpc;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Protocol.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Runs.Lifecycles;

/// <summary>
/// One workflow update of a run. Admitted (by UpdateWorkflowExecution; kept in the run's record) → Sent to a worker
/// as a protocol message on a workflow task → Accepted (WorkflowExecutionUpdateAccepted) → Completed
/// (WorkflowExecutionUpdateCompleted); or Rejected by the worker's validator (nothing written), or Aborted when the
/// run closes first. A task that fails sends its updates again with the next attempt. Callers wait on
/// <see cref="WaitForChange"/>.
/// </summary>
internal sealed class UpdateLifecycle
{
    private const string WorkflowCompletedMessage = "workflow execution already completed";

    private TaskCompletionSource? _changed;

    public required string UpdateId { get; init; }

    public required Request Request { get; init; }

    public required WorkflowRun Run { get; init; }

    public UpdateWorkflowExecutionLifecycleStage Stage { get; private set; } = UpdateWorkflowExecutionLifecycleStage.Admitted;

    /// <summary>Handed to a worker on the workflow task that is running now; false again if that task fails.</summary>
    public bool IsSent { get; set; }

    public long AcceptedEventId { get; private set; }

    /// <summary>Set once the update completed (success, failure in the handler, or rejection).</summary>
    public Outcome? Outcome { get; private set; }

    /// <summary>Set when the update ended without an outcome (its run closed before accepting it).</summary>
    public RpcException? Error { get; private set; }

    public bool IsFinished => Outcome is not null || Error is not null;

    /// <summary>Id of the request message, also written to the UpdateAccepted event.</summary>
    public string RequestMessageId => UpdateId + "/request";

    /// <summary>A new update for the run: it waits for the next workflow task (speculative once the workflow has state).</summary>
    public static UpdateLifecycle Admit(WorkflowRun run, string updateId, Request request)
    {
        var update = Admitted(run, updateId, request);
        run.WorkflowTaskNeeded(speculative: run.WorkflowTasks.CompletedCount > 0);
        return update;
    }

    /// <summary>Registers an admitted update (also when restoring one from the run's record).</summary>
    public static UpdateLifecycle Admitted(WorkflowRun run, string updateId, Request request)
    {
        var update = new UpdateLifecycle { UpdateId = updateId, Request = request, Run = run };
        run.Updates[updateId] = update;
        run.PendingUpdates.Add(update);
        return update;
    }

    /// <summary>Protocol messages carrying every update not yet handed to a worker, sequenced before the task's started event.</summary>
    public static void Attach(WorkflowRun run, long startedEventId, PollWorkflowTaskQueueResponse response)
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

    /// <summary>The failed task's updates go out again with the next attempt.</summary>
    public static void Resend(WorkflowRun run)
    {
        foreach (var update in run.PendingUpdates)
        {
            update.IsSent = false;
        }
    }

    /// <summary>Checks the worker's protocol messages (and ProtocolMessage commands) against the run's updates.</summary>
    public static (WorkflowTaskFailedCause Cause, string Message)? ValidateMessages(WorkflowRun run, RespondWorkflowTaskCompletedRequest request)
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
    /// Applies one message from a completed workflow task: acceptance (Sent → Accepted) writes UpdateAccepted, a response
    /// (Accepted → Completed) writes UpdateCompleted, a rejection (Sent → Rejected) writes nothing and completes the update
    /// with the validator's failure.
    /// </summary>
    public static void ApplyMessage(WorkflowRun run, Message message)
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
            }, run.Now);
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
            }, run.Now);
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
    public static void ApplyUnplacedMessages(WorkflowRun run, IEnumerable<Message> messages)
    {
        foreach (var message in messages)
        {
            ApplyMessage(run, message);
        }
        foreach (var update in run.PendingUpdates.Where(u => u.IsSent).ToList())
        {
            run.PendingUpdates.Remove(update);
            update.IsSent = false;
            update.Complete(new Outcome { Failure = ServerFailure(
                "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
                "UnprocessedUpdate") });
        }
    }

    /// <summary>A run closed: accepted updates fail, updates not accepted yet end with Temporal's "already completed" error.</summary>
    public static void AbortAll(WorkflowRun run)
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

    /// <summary>The state change an update event stands for (replay).</summary>
    public static void Apply(WorkflowRun run, HistoryEvent evt)
    {
        if (evt.EventType == EventType.WorkflowExecutionUpdateAccepted)
        {
            var attributes = evt.WorkflowExecutionUpdateAcceptedEventAttributes;
            var update = new UpdateLifecycle { UpdateId = attributes.ProtocolInstanceId, Request = attributes.AcceptedRequest, Run = run };
            update.Accept(evt.EventId);
            run.Updates[update.UpdateId] = update;
        }
        else if (evt.EventType == EventType.WorkflowExecutionUpdateCompleted
            && run.Updates.TryGetValue(evt.WorkflowExecutionUpdateCompletedEventAttributes.Meta?.UpdateId ?? "", out var completed))
        {
            completed.Complete(evt.WorkflowExecutionUpdateCompletedEventAttributes.Outcome ?? new Outcome { Success = new Temporalio.Api.Common.V1.Payloads() });
        }
    }

    private static Failure ServerFailure(string message, string type) => new()
    {
        Message = message,
        Source = "Server",
        ApplicationFailureInfo = new ApplicationFailureInfo { Type = type, NonRetryable = true },
    };

    private void Accept(long acceptedEventId)
    {
        AcceptedEventId = acceptedEventId;
        Stage = UpdateWorkflowExecutionLifecycleStage.Accepted;
        Notify();
    }

    private void Complete(Outcome outcome)
    {
        Outcome = outcome;
        Stage = UpdateWorkflowExecutionLifecycleStage.Completed;
        Notify();
    }

    private void Abort(RpcException error)
    {
        Error = error;
        Notify();
    }

    /// <summary>A task that completes on the next change of stage.</summary>
    public Task WaitForChange()
    {
        _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _changed.Task;
    }

    private void Notify()
    {
        _changed?.TrySetResult();
        _changed = null;
    }
}
