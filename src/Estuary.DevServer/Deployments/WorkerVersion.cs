using Temporalio.Api.Deployment.V1;

namespace Estuary.DevServer.Deployments;

/// <summary>A worker deployment version: a deployment's name and a build id. Null where a version is expected means unversioned workers.</summary>
internal readonly record struct WorkerVersion(string Deployment, string BuildId)
{
    /// <summary>The version a poll or completion names, or null for an unversioned worker.</summary>
    public static WorkerVersion? Of(WorkerDeploymentOptions? options) =>
        options is { WorkerVersioningMode: Temporalio.Api.Enums.V1.WorkerVersioningMode.Versioned, DeploymentName.Length: > 0, BuildId.Length: > 0 }
            ? new WorkerVersion(options.DeploymentName, options.BuildId)
            : null;

    /// <summary>The version a message names, or null when it names none.</summary>
    public static WorkerVersion? Of(WorkerDeploymentVersion? version) =>
        version is { DeploymentName.Length: > 0, BuildId.Length: > 0 } ? new WorkerVersion(version.DeploymentName, version.BuildId) : null;

    /// <summary>"deployment.build", as Temporal spells a version in messages.</summary>
    public override string ToString() => $"{Deployment}.{BuildId}";

    public WorkerDeploymentVersion ToProto() => new() { DeploymentName = Deployment, BuildId = BuildId };
}
