using Estuary.DevServer.Grpc;
using Estuary.DevServer.State;
using Google.Protobuf.Collections;
using Grpc.Core;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    /// <summary>
    /// Update-with-start, the only multi-operation Temporal accepts: [StartWorkflow, UpdateWorkflow] on one workflow
    /// id. The start (or the running workflow its conflict policy keeps) and the update's admission happen under one
    /// gate; a failing operation is reported as Temporal does, in a MultiOperationExecutionFailure whose other
    /// operation is Aborted.
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

        StartWorkflowExecutionResponse started;
        WorkflowUpdate admitted;
        lock (_gate)
        {
            try
            {
                started = StartWorkflowExecution(start);
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
                admitted = AdmitUpdate(forRun);
            }
            catch (RpcException e)
            {
                throw MultiOperationFailure(e, failedIndex: 1);
            }
        }
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
            ? GrpcStatus.Parser.ParseFrom(bytes).Details
            : [];
}
