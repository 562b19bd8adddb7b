using Temporalio.Api.Deployment.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Runs;

/// <summary>
/// Which worker deployment version completed a run's workflow tasks: a versioned worker's completion names its
/// deployment, build id and versioning behavior on WorkflowTaskCompleted, so history alone holds what
/// <see cref="Deployments.RunVersioning"/> derives from it and a restart rebuilds it.
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
}
