using Temporalio.Api.Deployment.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Runs;

/// <summary>
/// Which worker deployment version completed a run's workflow tasks. A versioned worker's completion names its
/// deployment, build id and versioning behavior on WorkflowTaskCompleted, and the last such event is the run's
/// versioning info in Describe; history alone holds it, so a restart rebuilds it.
/// </summary>
internal static class WorkerVersioning
{
    /// <summary>Puts the completing worker's version on its WorkflowTaskCompleted event, when it uses worker versioning.</summary>
    public static void Stamp(WorkflowTaskCompletedEventAttributes completed, RespondWorkflowTaskCompletedRequest request)
    {
        if (request.DeploymentOptions is not { WorkerVersioningMode: WorkerVersioningMode.Versioned, BuildId.Length: > 0 } options)
        {
            return;
        }
        completed.VersioningBehavior = request.VersioningBehavior;
        completed.DeploymentVersion = new WorkerDeploymentVersion { DeploymentName = options.DeploymentName, BuildId = options.BuildId };
        completed.WorkerDeploymentName = options.DeploymentName;
    }

    /// <summary>Fills Describe's versioning info and deployment name from the run's last versioned completion.</summary>
    public static void Describe(History history, WorkflowExecutionInfo info)
    {
        for (var i = history.Events.Count - 1; i >= 0; i--)
        {
            if (history.Events[i] is { EventType: EventType.WorkflowTaskCompleted, WorkflowTaskCompletedEventAttributes: { DeploymentVersion: { } version } completed })
            {
                info.VersioningInfo = new WorkflowExecutionVersioningInfo { Behavior = completed.VersioningBehavior, DeploymentVersion = version };
                info.WorkerDeploymentName = completed.WorkerDeploymentName;
                return;
            }
        }
    }
}
