using Estuary.DevServer.Engine;
using Microsoft.Extensions.Logging;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Grpc;

/// <summary>temporal.api.workflowservice.v1.WorkflowService, delegating to the engine.</summary>
internal sealed class WorkflowServiceHandler : ServiceHandler
{
    public WorkflowServiceHandler(DevServerEngine engine, ILogger<WorkflowServiceHandler> logger)
        : base(ServiceReflection.Descriptor.Services[0], logger)
    {
        On<GetSystemInfoRequest, GetSystemInfoResponse>("GetSystemInfo", _ => new GetSystemInfoResponse
        {
            ServerVersion = "1.27.0-estuary",
            Capabilities = new GetSystemInfoResponse.Types.Capabilities
            {
                SignalAndQueryHeader = true,
                InternalErrorDifferentiation = true,
                ActivityFailureIncludeHeartbeat = true,
                EncodedFailureAttributes = true,
                UpsertMemo = true,
                SdkMetadata = true,
            },
        });
        On<GetClusterInfoRequest, GetClusterInfoResponse>("GetClusterInfo", _ => new GetClusterInfoResponse
        {
            ServerVersion = "1.27.0-estuary",
            ClusterName = "active",
            ClusterId = "estuary-dev-server",
            HistoryShardCount = 1,
            PersistenceStore = "memory",
            VisibilityStore = "memory",
        });
        On<DescribeNamespaceRequest, DescribeNamespaceResponse>("DescribeNamespace", engine.DescribeNamespace);
        On<RegisterNamespaceRequest, RegisterNamespaceResponse>("RegisterNamespace", engine.RegisterNamespace);
        On<ListNamespacesRequest, ListNamespacesResponse>("ListNamespaces", engine.ListNamespaces);
        On<UpdateNamespaceRequest, UpdateNamespaceResponse>("UpdateNamespace", engine.UpdateNamespace);
        On<StartWorkflowExecutionRequest, StartWorkflowExecutionResponse>("StartWorkflowExecution", engine.StartWorkflowExecution);
        On<TerminateWorkflowExecutionRequest, TerminateWorkflowExecutionResponse>("TerminateWorkflowExecution", engine.TerminateWorkflowExecution);
        On<RequestCancelWorkflowExecutionRequest, RequestCancelWorkflowExecutionResponse>("RequestCancelWorkflowExecution", engine.RequestCancelWorkflowExecution);
        On<SignalWorkflowExecutionRequest, SignalWorkflowExecutionResponse>("SignalWorkflowExecution", engine.SignalWorkflowExecution);
        On<SignalWithStartWorkflowExecutionRequest, SignalWithStartWorkflowExecutionResponse>("SignalWithStartWorkflowExecution", engine.SignalWithStartWorkflowExecution);
        On<DescribeWorkflowExecutionRequest, DescribeWorkflowExecutionResponse>("DescribeWorkflowExecution", engine.DescribeWorkflowExecution);
        OnAsync<GetWorkflowExecutionHistoryRequest, GetWorkflowExecutionHistoryResponse>("GetWorkflowExecutionHistory",
            (request, context) => engine.GetWorkflowExecutionHistoryAsync(request, context.Deadline, context.CancellationToken));
        OnAsync<PollWorkflowTaskQueueRequest, PollWorkflowTaskQueueResponse>("PollWorkflowTaskQueue",
            (request, context) => engine.PollWorkflowTaskQueueAsync(request, context.Deadline, context.CancellationToken));
        On<RespondWorkflowTaskCompletedRequest, RespondWorkflowTaskCompletedResponse>("RespondWorkflowTaskCompleted", engine.RespondWorkflowTaskCompleted);
        On<RespondWorkflowTaskFailedRequest, RespondWorkflowTaskFailedResponse>("RespondWorkflowTaskFailed", engine.RespondWorkflowTaskFailed);
        OnAsync<PollActivityTaskQueueRequest, PollActivityTaskQueueResponse>("PollActivityTaskQueue",
            (request, context) => engine.PollActivityTaskQueueAsync(request, context.Deadline, context.CancellationToken));
        On<RespondActivityTaskCompletedRequest, RespondActivityTaskCompletedResponse>("RespondActivityTaskCompleted", engine.RespondActivityTaskCompleted);
        On<RespondActivityTaskCompletedByIdRequest, RespondActivityTaskCompletedByIdResponse>("RespondActivityTaskCompletedById", engine.RespondActivityTaskCompletedById);
        On<RespondActivityTaskFailedRequest, RespondActivityTaskFailedResponse>("RespondActivityTaskFailed", engine.RespondActivityTaskFailed);
        On<RespondActivityTaskFailedByIdRequest, RespondActivityTaskFailedByIdResponse>("RespondActivityTaskFailedById", engine.RespondActivityTaskFailedById);
        On<RespondActivityTaskCanceledRequest, RespondActivityTaskCanceledResponse>("RespondActivityTaskCanceled", engine.RespondActivityTaskCanceled);
        On<RespondActivityTaskCanceledByIdRequest, RespondActivityTaskCanceledByIdResponse>("RespondActivityTaskCanceledById", engine.RespondActivityTaskCanceledById);
        On<RecordActivityTaskHeartbeatRequest, RecordActivityTaskHeartbeatResponse>("RecordActivityTaskHeartbeat", engine.RecordActivityTaskHeartbeat);
        On<RecordActivityTaskHeartbeatByIdRequest, RecordActivityTaskHeartbeatByIdResponse>("RecordActivityTaskHeartbeatById", engine.RecordActivityTaskHeartbeatById);
        OnAsync<QueryWorkflowRequest, QueryWorkflowResponse>("QueryWorkflow",
            (request, context) => engine.QueryWorkflowAsync(request, context.Deadline, context.CancellationToken));
        On<RespondQueryTaskCompletedRequest, RespondQueryTaskCompletedResponse>("RespondQueryTaskCompleted", engine.RespondQueryTaskCompleted);
        OnAsync<UpdateWorkflowExecutionRequest, UpdateWorkflowExecutionResponse>("UpdateWorkflowExecution",
            (request, context) => engine.UpdateWorkflowExecutionAsync(request, context.Deadline, context.CancellationToken));
        OnAsync<PollWorkflowExecutionUpdateRequest, PollWorkflowExecutionUpdateResponse>("PollWorkflowExecutionUpdate",
            (request, context) => engine.PollWorkflowExecutionUpdateAsync(request, context.Deadline, context.CancellationToken));
        OnAsync<ExecuteMultiOperationRequest, ExecuteMultiOperationResponse>("ExecuteMultiOperation",
            (request, context) => engine.ExecuteMultiOperationAsync(request, context.Deadline, context.CancellationToken));
        On<ShutdownWorkerRequest, ShutdownWorkerResponse>("ShutdownWorker", engine.ShutdownWorker);
        On<ResetStickyTaskQueueRequest, ResetStickyTaskQueueResponse>("ResetStickyTaskQueue", engine.ResetStickyTaskQueue);
        On<ListWorkflowExecutionsRequest, ListWorkflowExecutionsResponse>("ListWorkflowExecutions", engine.ListWorkflowExecutions);
        On<ScanWorkflowExecutionsRequest, ScanWorkflowExecutionsResponse>("ScanWorkflowExecutions", engine.ScanWorkflowExecutions);
        On<CountWorkflowExecutionsRequest, CountWorkflowExecutionsResponse>("CountWorkflowExecutions", engine.CountWorkflowExecutions);
        On<ListOpenWorkflowExecutionsRequest, ListOpenWorkflowExecutionsResponse>("ListOpenWorkflowExecutions", engine.ListOpenWorkflowExecutions);
        On<ListClosedWorkflowExecutionsRequest, ListClosedWorkflowExecutionsResponse>("ListClosedWorkflowExecutions", engine.ListClosedWorkflowExecutions);
        On<GetSearchAttributesRequest, GetSearchAttributesResponse>("GetSearchAttributes", engine.GetSearchAttributes);
    }
}
