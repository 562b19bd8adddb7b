using Estuary.DevServer.Grpc;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Runs.Lifecycles;
using Google.Protobuf.Collections;
using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>Workflow updates: UpdateWorkflowExecution, PollWorkflowExecutionUpdate and update-with-start.</summary>
internal sealed class UpdateOperations(DevServerEngine engine, WorkflowOperations workflows)
{
    private const string WorkflowCompletedMessage = "workflow execution already completed";

    /// <summary>Temporal's long poll for an update's stage (history.longPollExpirationInterval).</summary>
    private static readonly TimeSpan UpdateLongPoll = TimeSpan.FromSeconds(20);

    /// <summary>An answer with the stage so far is sent this long before the caller's deadline at the latest, so it arrives in time.</summary>
    private static readonly TimeSpan AnswerMargin = TimeSpan.FromSeconds(1);

    /// <summary>How long before the caller's deadline its DEADLINE_EXCEEDED is sent: a tenth of its time, at most a second.</summary>
    private static TimeSpan DeadlineLead(TimeSpan callTime) =>
        callTime <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(callTime.Ticks / 10, AnswerMargin.Ticks));

    /// <summary>
    /// Admits an update (or finds the one with the same update id) and waits until it reaches the requested stage
    /// (see <see cref="WaitForStageAsync"/>).
    /// </summary>
    public async Task<UpdateWorkflowExecutionResponse> UpdateWorkflowExecutionAsync(UpdateWorkflowExecutionRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        ValidateUpdateRequest(request);
        var update = await engine.ChangeAsync(() =>
        {
            var ns = engine.Namespaces.Get(request.Namespace);
            var run = DevServerEngine.GetRun(ns, request.WorkflowExecution?.WorkflowId ?? "", request.WorkflowExecution?.RunId);
            return engine.Change(run, () => Admit(run, request));
        });
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

    private async Task<UpdateWorkflowExecutionResponse> UpdateResponseAsync(UpdateLifecycle update, WaitPolicy? waitPolicy, DateTime deadline, CancellationToken cancellationToken)
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

    /// <summary>Finds the run's update with the request's update id, or admits a new one. Under the run's lock.</summary>
    private static UpdateLifecycle Admit(WorkflowRun run, UpdateWorkflowExecutionRequest request)
    {
        var updateId = request.Request.Meta.UpdateId;
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
        run.WorkflowTasks.ThrowIfFailing("Unable to perform workflow execution update due to Workflow Task in failed state.");
        return UpdateLifecycle.Admit(run, updateId, request.Request);
    }

    /// <summary>The SDK's WorkflowUpdateHandle.GetResultAsync: waits for an admitted update's stage, as UpdateWorkflowExecution does.</summary>
    public async Task<PollWorkflowExecutionUpdateResponse> PollWorkflowExecutionUpdateAsync(PollWorkflowExecutionUpdateRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        var updateId = request.UpdateRef?.UpdateId;
        if (string.IsNullOrEmpty(updateId))
        {
            throw RpcErrors.InvalidArgument("Update ID is not set on request.");
        }
        var ns = engine.Namespaces.Get(request.Namespace);
        var execution = request.UpdateRef!.WorkflowExecution;
        var run = DevServerEngine.GetRun(ns, execution?.WorkflowId ?? "", execution?.RunId);
        var update = DevServerEngine.Read(run, () => run.Updates.TryGetValue(updateId, out var found) ? found : null)
            ?? throw RpcErrors.NotFound($"update {updateId} not found");
        var (stage, outcome, updateExecution) = await WaitForStageAsync(update, request.WaitPolicy?.LifecycleStage ?? UpdateWorkflowExecutionLifecycleStage.Unspecified,
            deadline, cancellationToken);
        return new PollWorkflowExecutionUpdateResponse
        {
            UpdateRef = new UpdateRef { WorkflowExecution = updateExecution, UpdateId = updateId },
            Stage = stage,
            Outcome = outcome,
        };
    }

    /// <summary>
    /// Waits until the update reaches <paramref name="wanted"/>. As in Temporal, the wait is a long poll of at most
    /// <see cref="UpdateLongPoll"/>: when it ends first the answer carries the stage reached so far (the SDK asks again);
    /// when the caller's deadline comes first the call fails with DEADLINE_EXCEEDED at that deadline, so a client that
    /// gives up (an RPC timeout) gets the deadline error instead of being answered again and again.
    /// </summary>
    private async Task<(UpdateWorkflowExecutionLifecycleStage Stage, Outcome? Outcome, Temporalio.Api.Common.V1.WorkflowExecution Execution)> WaitForStageAsync(
        UpdateLifecycle update, UpdateWorkflowExecutionLifecycleStage wanted, DateTime deadline, CancellationToken cancellationToken)
    {
        using var linked = engine.LinkToStopping(cancellationToken);
        var now = DateTime.UtcNow;
        var longPoll = engine.Options.LongPollTimeout < UpdateLongPoll ? engine.Options.LongPollTimeout : UpdateLongPoll;
        var pollEnds = now + longPoll;
        var deadlineFirst = deadline != DateTime.MaxValue && deadline - AnswerMargin < pollEnds;
        // The deadline error goes out a little early: one sent at the deadline races the client's own timer, which reports
        // a plain cancellation instead.
        var giveUpAt = deadlineFirst ? deadline - DeadlineLead(deadline - now) : pollEnds;
        while (true)
        {
            Task changed;
            lock (update.Run.Gate)
            {
                if (update.Error is { } error)
                {
                    // Every waiter gets its own exception: one instance thrown on several threads would share a stack trace.
                    throw new RpcException(error.Status, error.Trailers);
                }
                // Unspecified and Admitted ask for the current stage; a completed update answers every stage.
                if (update.Stage >= wanted || update.Outcome is not null)
                {
                    return (update.Stage, update.Outcome, update.Run.ToExecution());
                }
                if (DateTime.UtcNow >= giveUpAt || linked.IsCancellationRequested)
                {
                    if (deadlineFirst && !engine.Stopping.IsCancellationRequested)
                    {
                        throw new RpcException(new Status(StatusCode.DeadlineExceeded, "context deadline exceeded"));
                    }
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
                // The next loop sees the time is up (or the caller gone) and answers.
            }
        }
    }

    /// <summary>
    /// Update-with-start, the only multi-operation Temporal accepts: [StartWorkflow, UpdateWorkflow] on one workflow
    /// id. The start (or the running workflow its conflict policy keeps) and the update's admission happen under the
    /// id's lock, so a new workflow gets the update on its first task; a failing operation is reported as Temporal
    /// does, in a MultiOperationExecutionFailure whose other operation is Aborted.
    /// </summary>
    public async Task<ExecuteMultiOperationResponse> ExecuteMultiOperationAsync(ExecuteMultiOperationRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        if (request.Operations.Count != 2
            || request.Operations[0].StartWorkflow is not { } start
            || request.Operations[1].UpdateWorkflow is not { } update)
        {
            throw RpcErrors.InvalidArgument("Operations have to be exactly [Start, Update].");
        }
        if (start.Namespace != request.Namespace || update.Namespace != request.Namespace)
        {
            throw RpcErrors.InvalidArgument("Operation namespace mismatch with request namespace.");
        }
        if (update.WorkflowExecution?.WorkflowId != start.WorkflowId)
        {
            throw RpcErrors.InvalidArgument("WorkflowId is not consistent with previous operation(s).");
        }
        if (!string.IsNullOrEmpty(update.WorkflowExecution.RunId) || !string.IsNullOrEmpty(update.FirstExecutionRunId))
        {
            throw RpcErrors.InvalidArgument("RunId and FirstExecutionRunId are not allowed on the update of an update-with-start.");
        }
        if (start.WorkflowIdConflictPolicy == WorkflowIdConflictPolicy.Unspecified)
        {
            throw RpcErrors.InvalidArgument("WorkflowIdConflictPolicy has to be set on the start of an update-with-start.");
        }
        if (start.RequestEagerExecution)
        {
            // Temporal refuses it for the start operation, reported like any failing operation.
            throw MultiOperationFailure(RpcErrors.InvalidArgument("RequestEagerExecution is not supported."), failedIndex: 0);
        }
        if (start.WorkflowStartDelay is not null && start.WorkflowStartDelay.ToTimeSpan() > TimeSpan.Zero)
        {
            throw RpcErrors.InvalidArgument("WorkflowStartDelay is not allowed on the start of an update-with-start.");
        }

        var (started, admitted) = await engine.ChangeAsync(() =>
        {
            Namespaces.NamespaceEntry ns;
            try
            {
                ns = engine.Namespaces.Get(start.Namespace);
                if (string.IsNullOrEmpty(start.WorkflowId))
                {
                    throw RpcErrors.InvalidArgument("WorkflowId is not set on request.");
                }
            }
            catch (RpcException e)
            {
                throw MultiOperationFailure(e, failedIndex: 0);
            }
            return DevServerEngine.WithWorkflowId(ns, start.WorkflowId, _ =>
            {
                StartWorkflowExecutionResponse started;
                try
                {
                    started = workflows.Start(start);
                }
                catch (RpcException e)
                {
                    throw MultiOperationFailure(e, failedIndex: 0);
                }
                try
                {
                    ValidateUpdateRequest(update);
                    var forRun = update.Clone();
                    forRun.WorkflowExecution.RunId = started.RunId;
                    var run = ns.Runs[started.RunId];
                    return (started, engine.Change(run, () => Admit(run, forRun)));
                }
                catch (RpcException e)
                {
                    throw MultiOperationFailure(e, failedIndex: 1);
                }
            });
        });
        var updated = await UpdateResponseAsync(admitted, update.WaitPolicy, deadline, cancellationToken);
        return new ExecuteMultiOperationResponse
        {
            Responses =
            {
                new ExecuteMultiOperationResponse.Types.Response { StartWorkflow = started },
                new ExecuteMultiOperationResponse.Types.Response { UpdateWorkflow = updated },
            },
        };
    }

    /// <summary>The failed operation's status (with its error details) and Aborted for the other one; the call carries the failed code.</summary>
    private static RpcException MultiOperationFailure(RpcException error, int failedIndex)
    {
        var failure = new MultiOperationExecutionFailure();
        for (var i = 0; i < 2; i++)
        {
            var status = i == failedIndex
                ? new MultiOperationExecutionFailure.Types.OperationStatus { Code = (int)error.StatusCode, Message = error.Status.Detail, Details = { DetailsOf(error) } }
                : new MultiOperationExecutionFailure.Types.OperationStatus { Code = (int)StatusCode.Aborted, Message = "Operation was aborted." };
            failure.Statuses.Add(status);
        }
        return RpcErrors.WithDetail(error.StatusCode, "Update-with-Start could not be executed.", failure);
    }

    private static RepeatedField<Google.Protobuf.WellKnownTypes.Any> DetailsOf(RpcException error) =>
        error.Trailers.GetValueBytes("grpc-status-details-bin") is { } bytes
            ? Temporalio.Api.Common.V1.GrpcStatus.Parser.ParseFrom(bytes).Details
            : [];
}
