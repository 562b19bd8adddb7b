using Estuary.DevServer.Grpc;
using Estuary.DevServer.TaskQueues;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>DescribeTaskQueue: which workers poll a workflow or activity task queue.</summary>
internal sealed class TaskQueueOperations(DevServerEngine engine, PollerHistory pollers)
{
    /// <summary>
    /// The pollers of the queue's workflow (the default) or activity side, each with its identity, last poll time, rate
    /// per second and deployment options; what the deprecated enhanced mode adds (versions, reachability) is not reported.
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
        return response;
    }
}
