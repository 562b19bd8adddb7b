using Estuary.Temporal.Activities;
using Estuary.Worker.Example.Data;
using Estuary.Worker.Example.Services;
using Microsoft.EntityFrameworkCore;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Estuary.Worker.Example.Activities;

/// <summary>An entity's details (the seed's <c>get_entity_details</c> result).</summary>
/// <param name="Id">The id.</param>
/// <param name="Name">The name.</param>
/// <param name="Status">The status.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record EntityDetails(int Id, string Name, string Status, DateTimeOffset CreatedAt);

/// <summary>What processing an entity returned (the seed's <c>process_entity</c> result).</summary>
/// <param name="EntityId">The entity id.</param>
/// <param name="Success">Whether processing succeeded.</param>
/// <param name="Result">What the service did.</param>
/// <param name="ProcessedAt">When it was processed.</param>
public sealed record ProcessEntityResult(int EntityId, bool Success, ProcessingOutcome Result, DateTimeOffset ProcessedAt);

/// <summary>The example domain's activities. Each execution gets its own instance and DbContext.</summary>
/// <param name="db">The domain's database, scoped to this activity execution.</param>
/// <param name="service">The domain's business logic.</param>
/// <param name="time">The clock.</param>
public sealed class ExampleActivities(ExampleDbContext db, ExampleService service, TimeProvider time)
{
    /// <summary>The error type of a missing entity; never retried.</summary>
    public const string EntityNotFound = "EntityNotFound";

    /// <summary>Reads an entity's details.</summary>
    /// <param name="entityId">The entity id.</param>
    /// <returns>The details.</returns>
    /// <exception cref="ApplicationFailureException">Non-retryable <see cref="EntityNotFound"/>: no such entity.</exception>
    [Activity("get_entity_details")]
    public async Task<EntityDetails> GetEntityDetailsAsync(int entityId)
    {
        var entity = await db.Entities.AsNoTracking().SingleOrDefaultAsync(e => e.Id == entityId, ActivityExecutionContext.Current.CancellationToken)
            ?? throw NotFound(entityId);
        return new EntityDetails(entity.Id, entity.Name, entity.Status, entity.CreatedAt);
    }

    /// <summary>Processes an entity, once, in one transaction.</summary>
    /// <param name="entityId">The entity id.</param>
    /// <returns>What processing did.</returns>
    /// <exception cref="ApplicationFailureException">Non-retryable <see cref="EntityNotFound"/>: no such entity.</exception>
    [Activity("process_entity")]
    [Transactional]
    public async Task<ProcessEntityResult> ProcessEntityAsync(int entityId)
    {
        var cancellationToken = ActivityExecutionContext.Current.CancellationToken;
        var entity = await db.Entities.SingleOrDefaultAsync(e => e.Id == entityId, cancellationToken)
            ?? throw NotFound(entityId);
        var outcome = service.Process(entity);
        await db.SaveChangesAsync(cancellationToken);
        return new ProcessEntityResult(entityId, Success: true, outcome, time.GetUtcNow());
    }

    // A missing entity will not appear by retrying: fail the activity at once instead of retrying until the timeout.
    private static ApplicationFailureException NotFound(int entityId) =>
        new($"Entity {entityId} not found", errorType: EntityNotFound, nonRetryable: true);
}
