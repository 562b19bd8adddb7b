using Estuary.Temporal.Activities;
using Estuary.Worker.DomainName.Data;
using Microsoft.EntityFrameworkCore;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Estuary.Worker.DomainName.Activities;

/// <summary>What processing an item did.</summary>
/// <param name="ItemId">The item id.</param>
/// <param name="PreviousStatus">The status before.</param>
/// <param name="Status">The status after.</param>
/// <param name="ProcessedAt">When it was processed.</param>
public sealed record ProcessedDomainNameItem(int ItemId, string PreviousStatus, string Status, DateTimeOffset ProcessedAt);

/// <summary>The DomainName domain's activities: small, idempotent steps. Each execution gets its own instance and DbContext.</summary>
/// <param name="db">The domain's database, scoped to this activity execution.</param>
/// <param name="time">The clock.</param>
public sealed class DomainNameActivities(DomainNameDbContext db, TimeProvider time)
{
    /// <summary>The error type of a missing item; never retried.</summary>
    public const string ItemNotFound = "ItemNotFound";

    /// <summary>Marks an item processed, in one transaction, once even when Temporal retries.</summary>
    /// <param name="itemId">The item id.</param>
    /// <returns>What processing did.</returns>
    /// <exception cref="ApplicationFailureException">Non-retryable <see cref="ItemNotFound"/>: no such item.</exception>
    [Activity("process_domainname_item")]
    [Transactional]
    public async Task<ProcessedDomainNameItem> ProcessItemAsync(int itemId)
    {
        var cancellationToken = ActivityExecutionContext.Current.CancellationToken;
        var item = await db.Items.SingleOrDefaultAsync(i => i.Id == itemId, cancellationToken)
            ?? throw new ApplicationFailureException($"Item {itemId} not found", errorType: ItemNotFound, nonRetryable: true);
        var previous = item.Status;
        item.Status = DomainNameItem.ProcessedStatus;
        await db.SaveChangesAsync(cancellationToken);
        return new ProcessedDomainNameItem(item.Id, previous, item.Status, time.GetUtcNow());
    }
}
