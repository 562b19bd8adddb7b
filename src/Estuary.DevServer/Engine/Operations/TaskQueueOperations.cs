using Estuary.DevServer.Grpc;
using Estuary.DevServer.TaskQueues;
using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>DescribeTaskQueue: which workers poll a workflow or activity task queue, and its statistics.</summary>
internal sealed class TaskQueueOperations(DevServerEngine engine, PollerHistory pollers)
{
    /// <summary>
    /// The pollers of the queue's workflow (the default) or activity side, each with its identity, last poll time, rate
    /// per second and deployment options, and with <c>report_stats</c> its statistics over every version's tasks; what
    /// the deprecated enhanced mode adds (versions, reachability) is not reported.
    /// </summary>
    public DescribeTaskQueueResponse DescribeTaskQueue(DescribeTaskQueueRequest request)
    {
        if (string.IsNullOrEmpty(request.TaskQueue?.Name))
        {
            throw RpcErrors.InvalidArgument("TaskQueue is not set on request.");
        }
        var type = request.TaskQueueType switch
        {
            TaskQueueType.Unspecified or TaskQueueType.Workflow => TaskQueueType.Workflow,
            TaskQueueType.Activity => TaskQueueType.Activity,
            var other => throw RpcErrors.InvalidArgument($"Task queue type {other} is not supported: ask for WORKFLOW or ACTIVITY."),
        };
        var ns = engine.Namespaces.Get(request.Namespace).Name;
        var response = new DescribeTaskQueueResponse();
        response.Pollers.AddRange(pollers.Pollers(ns, request.TaskQueue.Name, type));
        if (request.ReportStats)
        {
            response.Stats = engine.TaskQueueStats(ns, request.TaskQueue.Name, type, _ => true);
        }
        return response;
    }

    /// <summary>
    /// The answer to the version-set build id calls (worker versioning v0.1: build id compatibility, task reachability),
    /// which worker deployments replaced: Temporal keeps them behind dynamic config that is off by default
    /// (<c>frontend.workerVersioningDataAPIs</c>) and answers this once the namespace is known.
    /// </summary>
    public RpcException VersionSetsDisabled(string ns)
    {
        engine.Namespaces.Get(ns);
        return PermissionDenied("Worker versioning v0.1 (Version Set-based, deprecated) is disabled on this namespace.");
    }

    /// <summary>The answer to the versioning rules calls (worker versioning v0.2), off by default as well (<c>frontend.workerVersioningRuleAPIs</c>).</summary>
    public RpcException VersioningRulesDisabled(string ns)
    {
        engine.Namespaces.Get(ns);
        return PermissionDenied("Worker versioning v0.2 (Rules-based, deprecated) is disabled on this namespace.");
    }

    private static RpcException PermissionDenied(string message) =>
        RpcErrors.WithDetail(StatusCode.PermissionDenied, message, new Temporalio.Api.ErrorDetails.V1.PermissionDeniedFailure());
}
