using Estuary.Worker.Example.Data;

namespace Estuary.Worker.Example.Services;

/// <summary>What processing an entity did.</summary>
/// <param name="PreviousStatus">The status before.</param>
/// <param name="Status">The status after.</param>
public sealed record ProcessingOutcome(string PreviousStatus, string Status);

/// <summary>The example domain's business logic (the seed's <c>ExampleService</c>).</summary>
public sealed class ExampleService
{
    /// <summary>Processes an entity: marks it processed. The caller saves the change.</summary>
    /// <param name="entity">The entity, tracked by the caller's context.</param>
    /// <returns>What changed.</returns>
    public ProcessingOutcome Process(ExampleEntity entity)
    {
        var previous = entity.Status;
        entity.Status = ExampleEntity.ProcessedStatus;
        return new ProcessingOutcome(previous, entity.Status);
    }
}
