namespace Estuary.Worker.DomainName.Data;

/// <summary>An item the DomainName domain processes: the starting point of the domain's own entities.</summary>
public sealed class DomainNameItem
{
    /// <summary>The status of an item nobody processed yet.</summary>
    public const string NewStatus = "new";

    /// <summary>The status <see cref="Activities.DomainNameActivities.ProcessItemAsync"/> sets.</summary>
    public const string ProcessedStatus = "processed";

    /// <summary>Gets or sets the id.</summary>
    public int Id { get; set; }

    /// <summary>Gets or sets the name.</summary>
    public required string Name { get; set; }

    /// <summary>Gets or sets the status.</summary>
    public string Status { get; set; } = NewStatus;

    /// <summary>Gets or sets when the item was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
