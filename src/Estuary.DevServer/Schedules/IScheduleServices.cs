using Estuary.DevServer.Time;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Schedules;

/// <summary>
/// What a schedule asks of the server around it: time and timers, starting and stopping workflows, being told when a
/// workflow it started closes, and the store. A schedule calls these with its lock held, inside a unit of change.
/// </summary>
internal interface IScheduleServices
{
    /// <summary>Current server time.</summary>
    DateTime Now { get; }

    /// <summary>Where a schedule logs what it does.</summary>
    ILogger Logger { get; }

    /// <summary>
    /// Calls <paramref name="onDue"/> at server time <paramref name="due"/>, under the schedule's lock and in a unit of change,
    /// unless the returned timer was cancelled or the schedule deleted first.
    /// </summary>
    ScheduledTimer Arm(ScheduleLifecycle schedule, DateTime due, Action onDue);

    /// <summary>Starts a workflow as <c>StartWorkflowExecution</c> would; returns its run id, or throws the RpcException the call would answer.</summary>
    string StartWorkflow(StartWorkflowExecutionRequest request);

    /// <summary>Terminates the workflow chain <paramref name="execution"/> (workflow id, first run id) when it still runs.</summary>
    void Terminate(ScheduleLifecycle schedule, WorkflowExecution execution, string reason);

    /// <summary>Requests cancellation of the workflow chain <paramref name="execution"/> when it still runs.</summary>
    void RequestCancel(ScheduleLifecycle schedule, WorkflowExecution execution, string reason);

    /// <summary>
    /// Has <see cref="ScheduleLifecycle.WorkflowClosed"/> called once the chain <paramref name="execution"/> (workflow id, first
    /// run id) ends: its last run closes without a retry or continue-as-new after it.
    /// </summary>
    void Watch(ScheduleLifecycle schedule, WorkflowExecution execution);

    /// <summary>Stops watching <paramref name="execution"/>.</summary>
    void Unwatch(ScheduleLifecycle schedule, WorkflowExecution execution);

    /// <summary>Records that the schedule changed in the current unit (so the store keeps it).</summary>
    void Changed(ScheduleLifecycle schedule);
}
