using Estuary.DevServer.State;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

/// <summary>
/// Eager workflow start, as Temporal does it: a start with <c>request_eager_execution</c> (which the SDK sends only
/// when a worker for the task queue runs on the same client and has a free workflow task slot) creates the run with
/// its first workflow task already started for the requester's identity and returns that task in the response, so
/// the worker runs it without polling. Otherwise the task goes through the queue as usual.
/// </summary>
internal sealed partial class DevServerEngine
{
    /// <summary>The requester asked for it and the server allows it (<c>system.enableEagerWorkflowStart</c>).</summary>
    private bool EagerStartRequested(StartWorkflowExecutionRequest request) =>
        request.RequestEagerExecution && _options.EnableEagerWorkflowStart;

    /// <summary>Starts a new run's first workflow task (scheduled but not queued) for the starter.</summary>
    private PollWorkflowTaskQueueResponse StartEagerWorkflowTask(WorkflowRun run, StartWorkflowExecutionRequest request)
    {
        // Temporal records the start's request id on the WorkflowTaskStarted event.
        var requestId = string.IsNullOrEmpty(request.RequestId) ? Guid.NewGuid().ToString() : request.RequestId;
        return BeginWorkflowTask(run, run.WorkflowTask!, request.Identity, requestId);
    }

    /// <summary>
    /// A retried eager start (same request id) gets the run's first workflow task again, as in Temporal, but only while
    /// that task is still the started first attempt of the first task; once it completed, failed or timed out the
    /// task went (or goes) through the queue and the answer carries no task.
    /// </summary>
    private static PollWorkflowTaskQueueResponse? RepeatEagerWorkflowTask(WorkflowRun run)
    {
        const long FirstWorkflowTaskStartedEventId = 3;
        if (!run.IsRunning || run.WorkflowTask is not { IsStarted: true, StartedEventId: FirstWorkflowTaskStartedEventId, Attempt: 1 } task)
        {
            return null;
        }
        var history = new Temporalio.Api.History.V1.History();
        history.Events.Add(run.History.Events.Take((int)FirstWorkflowTaskStartedEventId));
        return WorkflowTaskResponse(run, task, history);
    }
}
