namespace Estuary.Temporal.Data;

/// <summary>
/// The recorded result of one committed transactional activity execution: written in the same transaction as the
/// activity's effect, so a retry after a commit whose completion never reached Temporal returns this result instead
/// of applying the effect again.
/// </summary>
public sealed class ActivityResult
{
    /// <summary>Gets or sets the id of the workflow that scheduled the activity.</summary>
    public required string WorkflowId { get; set; }

    /// <summary>Gets or sets the run id of that workflow.</summary>
    public required string RunId { get; set; }

    /// <summary>Gets or sets the activity id, unique within the run and kept across retries.</summary>
    public required string ActivityId { get; set; }

    /// <summary>Gets or sets the activity type name.</summary>
    public required string ActivityType { get; set; }

    /// <summary>Gets or sets the result as JSON (<c>null</c> for an activity without result).</summary>
    public required string Result { get; set; }

    /// <summary>Gets or sets when the result was recorded, just before the transaction committed.</summary>
    public DateTimeOffset CompletedAt { get; set; }
}
