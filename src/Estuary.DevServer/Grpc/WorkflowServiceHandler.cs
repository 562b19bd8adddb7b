using Estuary.DevServer.Engine;
using Estuary.DevServer.Engine.Operations;
using Estuary.DevServer.TaskQueues;
using Microsoft.Extensions.Logging;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Grpc;

/// <summary>temporal.api.workflowservice.v1.WorkflowService, delegating to the engine's operations.</summary>
internal sealed class WorkflowServiceHandler : ServiceHandler
{
    public WorkflowServiceHandler(DevServerEngine engine, ILogger<WorkflowServiceHandler> logger)
        : base(ServiceReflection.Descriptor.Services[0], logger)
    {
        var namespaces = new NamespaceOperations(engine);
        var workflows = new WorkflowOperations(engine);
        var updates = new UpdateOperations(engine, workflows);
        var pollers = new PollerHistory();
        var workers = new WorkerOperations(engine, pollers);
        var taskQueues = new TaskQueueOperations(engine, pollers);
        var visibility = new VisibilityOperations(engine);
        var activities = new ActivityOperations(engine);
        var schedules = new ScheduleOperations(engine);
        var deployments = new DeploymentOperations(engine, pollers);
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
            PersistenceStore = engine.Store.Kind,
            VisibilityStore = engine.Store.Kind,
        });
        On<DescribeNamespaceRequest, DescribeNamespaceResponse>("DescribeNamespace", namespaces.DescribeNamespace);
        OnAsync<RegisterNamespaceRequest, RegisterNamespaceResponse>("RegisterNamespace", namespaces.RegisterNamespaceAsync);
        On<ListNamespacesRequest, ListNamespacesResponse>("ListNamespaces", namespaces.ListNamespaces);
        OnAsync<UpdateNamespaceRequest, UpdateNamespaceResponse>("UpdateNamespace", namespaces.UpdateNamespaceAsync);
        On<GetSearchAttributesRequest, GetSearchAttributesResponse>("GetSearchAttributes", namespaces.GetSearchAttributes);
        OnAsync<StartWorkflowExecutionRequest, StartWorkflowExecutionResponse>("StartWorkflowExecution", workflows.StartWorkflowExecutionAsync);
        OnAsync<TerminateWorkflowExecutionRequest, TerminateWorkflowExecutionResponse>("TerminateWorkflowExecution", workflows.TerminateWorkflowExecutionAsync);
        OnAsync<RequestCancelWorkflowExecutionRequest, RequestCancelWorkflowExecutionResponse>("RequestCancelWorkflowExecution", workflows.RequestCancelWorkflowExecutionAsync);
        OnAsync<SignalWorkflowExecutionRequest, SignalWorkflowExecutionResponse>("SignalWorkflowExecution", workflows.SignalWorkflowExecutionAsync);
        OnAsync<SignalWithStartWorkflowExecutionRequest, SignalWithStartWorkflowExecutionResponse>("SignalWithStartWorkflowExecution", workflows.SignalWithStartWorkflowExecutionAsync);
        On<DescribeWorkflowExecutionRequest, DescribeWorkflowExecutionResponse>("DescribeWorkflowExecution", workflows.DescribeWorkflowExecution);
        OnAsync<GetWorkflowExecutionHistoryRequest, GetWorkflowExecutionHistoryResponse>("GetWorkflowExecutionHistory",
            (request, context) => workflows.GetWorkflowExecutionHistoryAsync(request, context.Deadline, context.CancellationToken));
        OnAsync<ResetStickyTaskQueueRequest, ResetStickyTaskQueueResponse>("ResetStickyTaskQueue", workflows.ResetStickyTaskQueueAsync);
        OnAsync<PollWorkflowTaskQueueRequest, PollWorkflowTaskQueueResponse>("PollWorkflowTaskQueue",
            (request, context) => workers.PollWorkflowTaskQueueAsync(request, context.Deadline, context.CancellationToken));
        OnAsync<RespondWorkflowTaskCompletedRequest, RespondWorkflowTaskCompletedResponse>("RespondWorkflowTaskCompleted", workers.RespondWorkflowTaskCompletedAsync);
        OnAsync<RespondWorkflowTaskFailedRequest, RespondWorkflowTaskFailedResponse>("RespondWorkflowTaskFailed", workers.RespondWorkflowTaskFailedAsync);
        OnAsync<PollActivityTaskQueueRequest, PollActivityTaskQueueResponse>("PollActivityTaskQueue",
            (request, context) => workers.PollActivityTaskQueueAsync(request, context.Deadline, context.CancellationToken));
        OnAsync<RespondActivityTaskCompletedRequest, RespondActivityTaskCompletedResponse>("RespondActivityTaskCompleted", workers.RespondActivityTaskCompletedAsync);
        OnAsync<RespondActivityTaskCompletedByIdRequest, RespondActivityTaskCompletedByIdResponse>("RespondActivityTaskCompletedById", workers.RespondActivityTaskCompletedByIdAsync);
        OnAsync<RespondActivityTaskFailedRequest, RespondActivityTaskFailedResponse>("RespondActivityTaskFailed", workers.RespondActivityTaskFailedAsync);
        OnAsync<RespondActivityTaskFailedByIdRequest, RespondActivityTaskFailedByIdResponse>("RespondActivityTaskFailedById", workers.RespondActivityTaskFailedByIdAsync);
        OnAsync<RespondActivityTaskCanceledRequest, RespondActivityTaskCanceledResponse>("RespondActivityTaskCanceled", workers.RespondActivityTaskCanceledAsync);
        OnAsync<RespondActivityTaskCanceledByIdRequest, RespondActivityTaskCanceledByIdResponse>("RespondActivityTaskCanceledById", workers.RespondActivityTaskCanceledByIdAsync);
        OnAsync<RecordActivityTaskHeartbeatRequest, RecordActivityTaskHeartbeatResponse>("RecordActivityTaskHeartbeat", workers.RecordActivityTaskHeartbeatAsync);
        OnAsync<RecordActivityTaskHeartbeatByIdRequest, RecordActivityTaskHeartbeatByIdResponse>("RecordActivityTaskHeartbeatById", workers.RecordActivityTaskHeartbeatByIdAsync);
        OnAsync<ShutdownWorkerRequest, ShutdownWorkerResponse>("ShutdownWorker", workers.ShutdownWorkerAsync);
        On<DescribeTaskQueueRequest, DescribeTaskQueueResponse>("DescribeTaskQueue", taskQueues.DescribeTaskQueue);
        On<UpdateWorkerBuildIdCompatibilityRequest, UpdateWorkerBuildIdCompatibilityResponse>("UpdateWorkerBuildIdCompatibility",
            request => throw taskQueues.VersionSetsDisabled(request.Namespace));
        On<GetWorkerBuildIdCompatibilityRequest, GetWorkerBuildIdCompatibilityResponse>("GetWorkerBuildIdCompatibility",
            request => throw taskQueues.VersionSetsDisabled(request.Namespace));
        On<GetWorkerTaskReachabilityRequest, GetWorkerTaskReachabilityResponse>("GetWorkerTaskReachability",
            request => throw taskQueues.VersionSetsDisabled(request.Namespace));
        On<UpdateWorkerVersioningRulesRequest, UpdateWorkerVersioningRulesResponse>("UpdateWorkerVersioningRules",
            request => throw taskQueues.VersioningRulesDisabled(request.Namespace));
        On<GetWorkerVersioningRulesRequest, GetWorkerVersioningRulesResponse>("GetWorkerVersioningRules",
            request => throw taskQueues.VersioningRulesDisabled(request.Namespace));
        OnAsync<PauseActivityRequest, PauseActivityResponse>("PauseActivity", activities.PauseActivityAsync);
        OnAsync<UnpauseActivityRequest, UnpauseActivityResponse>("UnpauseActivity", activities.UnpauseActivityAsync);
        OnAsync<ResetActivityRequest, ResetActivityResponse>("ResetActivity", activities.ResetActivityAsync);
        OnAsync<UpdateActivityOptionsRequest, UpdateActivityOptionsResponse>("UpdateActivityOptions", activities.UpdateActivityOptionsAsync);
        OnAsync<QueryWorkflowRequest, QueryWorkflowResponse>("QueryWorkflow",
            (request, context) => engine.Queries.QueryWorkflowAsync(request, context.Deadline, context.CancellationToken));
        On<RespondQueryTaskCompletedRequest, RespondQueryTaskCompletedResponse>("RespondQueryTaskCompleted", engine.Queries.RespondQueryTaskCompleted);
        OnAsync<UpdateWorkflowExecutionRequest, UpdateWorkflowExecutionResponse>("UpdateWorkflowExecution",
            (request, context) => updates.UpdateWorkflowExecutionAsync(request, context.Deadline, context.CancellationToken));
        OnAsync<PollWorkflowExecutionUpdateRequest, PollWorkflowExecutionUpdateResponse>("PollWorkflowExecutionUpdate",
            (request, context) => updates.PollWorkflowExecutionUpdateAsync(request, context.Deadline, context.CancellationToken));
        OnAsync<ExecuteMultiOperationRequest, ExecuteMultiOperationResponse>("ExecuteMultiOperation",
            (request, context) => updates.ExecuteMultiOperationAsync(request, context.Deadline, context.CancellationToken));
        On<ListWorkflowExecutionsRequest, ListWorkflowExecutionsResponse>("ListWorkflowExecutions", visibility.ListWorkflowExecutions);
        On<ScanWorkflowExecutionsRequest, ScanWorkflowExecutionsResponse>("ScanWorkflowExecutions", visibility.ScanWorkflowExecutions);
        On<CountWorkflowExecutionsRequest, CountWorkflowExecutionsResponse>("CountWorkflowExecutions", visibility.CountWorkflowExecutions);
        On<ListOpenWorkflowExecutionsRequest, ListOpenWorkflowExecutionsResponse>("ListOpenWorkflowExecutions", visibility.ListOpenWorkflowExecutions);
        On<ListClosedWorkflowExecutionsRequest, ListClosedWorkflowExecutionsResponse>("ListClosedWorkflowExecutions", visibility.ListClosedWorkflowExecutions);
        OnAsync<CreateScheduleRequest, CreateScheduleResponse>("CreateSchedule", schedules.CreateScheduleAsync);
        On<DescribeScheduleRequest, DescribeScheduleResponse>("DescribeSchedule", schedules.DescribeSchedule);
        OnAsync<UpdateScheduleRequest, UpdateScheduleResponse>("UpdateSchedule", schedules.UpdateScheduleAsync);
        OnAsync<PatchScheduleRequest, PatchScheduleResponse>("PatchSchedule", schedules.PatchScheduleAsync);
        OnAsync<DeleteScheduleRequest, DeleteScheduleResponse>("DeleteSchedule", schedules.DeleteScheduleAsync);
        On<ListSchedulesRequest, ListSchedulesResponse>("ListSchedules", schedules.ListSchedules);
        On<CountSchedulesRequest, CountSchedulesResponse>("CountSchedules", schedules.CountSchedules);
        On<ListScheduleMatchingTimesRequest, ListScheduleMatchingTimesResponse>("ListScheduleMatchingTimes", schedules.ListScheduleMatchingTimes);
        On<DescribeWorkerDeploymentRequest, DescribeWorkerDeploymentResponse>("DescribeWorkerDeployment", deployments.DescribeWorkerDeployment);
        On<ListWorkerDeploymentsRequest, ListWorkerDeploymentsResponse>("ListWorkerDeployments", deployments.ListWorkerDeployments);
        On<DescribeWorkerDeploymentVersionRequest, DescribeWorkerDeploymentVersionResponse>("DescribeWorkerDeploymentVersion", deployments.DescribeWorkerDeploymentVersion);
        OnAsync<SetWorkerDeploymentCurrentVersionRequest, SetWorkerDeploymentCurrentVersionResponse>("SetWorkerDeploymentCurrentVersion", deployments.SetWorkerDeploymentCurrentVersionAsync);
        OnAsync<SetWorkerDeploymentRampingVersionRequest, SetWorkerDeploymentRampingVersionResponse>("SetWorkerDeploymentRampingVersion", deployments.SetWorkerDeploymentRampingVersionAsync);
        OnAsync<DeleteWorkerDeploymentVersionRequest, DeleteWorkerDeploymentVersionResponse>("DeleteWorkerDeploymentVersion", deployments.DeleteWorkerDeploymentVersionAsync);
        OnAsync<DeleteWorkerDeploymentRequest, DeleteWorkerDeploymentResponse>("DeleteWorkerDeployment", deployments.DeleteWorkerDeploymentAsync);
        OnAsync<UpdateWorkerDeploymentVersionMetadataRequest, UpdateWorkerDeploymentVersionMetadataResponse>("UpdateWorkerDeploymentVersionMetadata", deployments.UpdateWorkerDeploymentVersionMetadataAsync);
        OnAsync<SetWorkerDeploymentManagerRequest, SetWorkerDeploymentManagerResponse>("SetWorkerDeploymentManager", deployments.SetWorkerDeploymentManagerAsync);
        OnAsync<UpdateWorkflowExecutionOptionsRequest, UpdateWorkflowExecutionOptionsResponse>("UpdateWorkflowExecutionOptions", workflows.UpdateWorkflowExecutionOptionsAsync);
    }
}
