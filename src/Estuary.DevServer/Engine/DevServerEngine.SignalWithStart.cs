using Estuary.DevServer.Grpc;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    /// <summary>Signals the running workflow with this id, or starts it (with the start request's options) and then signals it.</summary>
    public SignalWithStartWorkflowExecutionResponse SignalWithStartWorkflowExecution(SignalWithStartWorkflowExecutionRequest request)
    {
        if (string.IsNullOrEmpty(request.SignalName))
        {
            throw RpcErrors.InvalidArgument("SignalName is not set on request.");
        }
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            // Checked even when the signal goes to a running workflow, as Temporal checks the whole request.
            ValidateSearchAttributes(request.SearchAttributes);
            var started = false;
            if (!ns.LatestRuns.TryGetValue(request.WorkflowId ?? "", out var run) || !run.IsRunning)
            {
                var start = StartWorkflowExecution(new StartWorkflowExecutionRequest
                {
                    Namespace = request.Namespace,
                    WorkflowId = request.WorkflowId,
                    WorkflowType = request.WorkflowType,
                    TaskQueue = request.TaskQueue,
                    Input = request.Input,
                    WorkflowExecutionTimeout = request.WorkflowExecutionTimeout,
                    WorkflowRunTimeout = request.WorkflowRunTimeout,
                    WorkflowTaskTimeout = request.WorkflowTaskTimeout,
                    Identity = request.Identity,
                    RequestId = request.RequestId,
                    WorkflowIdReusePolicy = request.WorkflowIdReusePolicy,
                    RetryPolicy = request.RetryPolicy,
                    CronSchedule = request.CronSchedule,
                    Memo = request.Memo,
                    SearchAttributes = request.SearchAttributes,
                    Header = request.Header,
                    WorkflowStartDelay = request.WorkflowStartDelay,
                });
                run = ns.Runs[start.RunId];
                started = start.Started;
            }
            SignalWorkflowExecution(new SignalWorkflowExecutionRequest
            {
                Namespace = request.Namespace,
                WorkflowExecution = run.ToExecution(),
                SignalName = request.SignalName,
                Input = request.SignalInput,
                Identity = request.Identity,
                Header = request.Header,
            });
            return new SignalWithStartWorkflowExecutionResponse { RunId = run.RunId, Started = started };
        }
    }
}
