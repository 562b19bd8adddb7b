namespace Estuary.Worker.Example.Data;

/// <summary>An entity of the example domain (the seed's <c>ExampleEntity</c> model).</summary>
public sealed class ExampleEntity
{
    /// <summary>The status of an entity nobody processed yet.</summary>
    public const string NewStatus = "new";

    /// <summary>The status <see cref="Services.ExampleService.Process"/> sets.</summary>
    public const string ProcessedStatus = "processed";

    /// <summary>Gets or sets the id.</summary>
    public int Id { get; set; }

    /// <summary>Gets or sets the name.</summary>
    public required string Name { get; set; }

    /// <summary>Gets or sets the status.</summary>
    public string Status { get; set; } = NewStatus;

    /// <summary>Gets or sets when the entity was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
