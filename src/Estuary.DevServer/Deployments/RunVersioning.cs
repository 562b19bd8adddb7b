using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Workflow.V1;

namespace Estuary.DevServer.Deployments;

/// <summary>
/// What decides where a run's tasks go: the version and versioning behavior of the worker that last completed one of
/// its workflow tasks, and an operator's override. Replaced as a whole when it changes, so task matching reads it
/// without the run's lock.
/// </summary>
/// <param name="Version">The version of the last versioned completion, or null.</param>
/// <param name="Behavior">The behavior that completion declared.</param>
/// <param name="Override">The override set at start or by UpdateWorkflowExecutionOptions, or null.</param>
/// <param name="OverrideChanged">UpdateWorkflowExecutionOptions changed the override after the start (kept in the run's record).</param>
internal sealed record RunVersioning(WorkerVersion? Version, VersioningBehavior Behavior, VersioningOverride? Override, bool OverrideChanged = false)
{
    public static readonly RunVersioning None = new(null, VersioningBehavior.Unspecified, null);

    /// <summary>The versioning of a run that starts with <paramref name="started"/>.</summary>
    public static RunVersioning Of(WorkflowExecutionStartedEventAttributes started) =>
        started.VersioningOverride is { } given ? None with { Override = given } : None;

    /// <summary>
    /// After <paramref name="evt"/>: a workflow task completion takes its worker's version and behavior (none for an
    /// unversioned worker); any other event changes nothing.
    /// </summary>
    public RunVersioning After(HistoryEvent evt) => evt is { EventType: EventType.WorkflowTaskCompleted, WorkflowTaskCompletedEventAttributes: var completed }
        ? WorkerVersion.Of(completed.DeploymentVersion) is { } version
            ? this with { Version = version, Behavior = completed.VersioningBehavior }
            : this with { Version = null, Behavior = VersioningBehavior.Unspecified }
        : this;

    /// <summary>The behavior in force: the override's when it sets one, else the completing worker's.</summary>
    public VersioningBehavior EffectiveBehavior => Override switch
    {
        { Pinned: not null } => VersioningBehavior.Pinned,
        { HasAutoUpgrade: true, AutoUpgrade: true } => VersioningBehavior.AutoUpgrade,
        _ => Behavior,
    };

    /// <summary>The version every task of the run must go to, or null when the task queue's routing decides.</summary>
    public WorkerVersion? PinnedTo => Override switch
    {
        { Pinned.Version: { } version } => WorkerVersion.Of(version),
        { HasAutoUpgrade: true, AutoUpgrade: true } => null,
        _ => Behavior == VersioningBehavior.Pinned ? Version : null,
    };

    /// <summary>What Describe reports, or null for a run no versioned worker or override touched.</summary>
    public WorkflowExecutionVersioningInfo? ToInfo()
    {
        if (Version is null && Override is null)
        {
            return null;
        }
        var info = new WorkflowExecutionVersioningInfo { Behavior = EffectiveBehavior, VersioningOverride = Override?.Clone() };
        if (Version is { } version)
        {
            info.DeploymentVersion = version.ToProto();
        }
        return info;
    }
}
