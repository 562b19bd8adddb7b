namespace Estuary.Temporal.Tracing;

/// <summary>The span tags of <see cref="TracingInterceptor"/>; the first three are the names Temporal's other SDKs use.</summary>
public static class TracingTags
{
    /// <summary>The workflow id.</summary>
    public const string WorkflowId = "temporalWorkflowID";

    /// <summary>The workflow run id.</summary>
    public const string RunId = "temporalRunID";

    /// <summary>The activity id.</summary>
    public const string ActivityId = "temporalActivityID";

    /// <summary>The workflow type.</summary>
    public const string WorkflowType = "temporalWorkflowType";

    /// <summary>The activity type.</summary>
    public const string ActivityType = "temporalActivityType";

    /// <summary>The attempt of an activity execution or of a workflow run, from 1.</summary>
    public const string Attempt = "temporalAttempt";

    /// <summary>The task queue.</summary>
    public const string TaskQueue = "temporalTaskQueue";

    /// <summary>The id of a child workflow being started.</summary>
    public const string ChildWorkflowId = "temporalChildWorkflowID";

    /// <summary>The type of a child workflow being started.</summary>
    public const string ChildWorkflowType = "temporalChildWorkflowType";

    /// <summary>The Estuary domain owning the workflow or activity.</summary>
    public const string Domain = "estuary.domain";

    /// <summary>The Estuary domain owning a child workflow being started.</summary>
    public const string ChildDomain = "estuary.child_domain";
}
