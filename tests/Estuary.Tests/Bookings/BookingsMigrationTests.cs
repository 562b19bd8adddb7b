using Estuary.Tests.Infrastructure;
using Estuary.Worker.Bookings.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Estuary.Tests.Bookings;

/// <summary>The hand-written parts of the <c>BookingLifecycle</c> migration: what it does to requests taken before
/// it, and that it can be rolled back.</summary>
[Collection(UsesPostgres.Name)]
public sealed class BookingsMigrationTests(PostgresFixture postgres)
{
    private const string InitialCreate = "20261125235627_InitialCreate";

    [Fact]
    public async Task BookingLifecycle_RequestTakenBefore_KeepsItsClientAndIsClosedThenRollsBack()
    {
        await using var db = new BookingsDbContext(new DbContextOptionsBuilder<BookingsDbContext>()
            .UseNpgsql(await postgres.CreateDatabaseAsync("bookings_migration")).Options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync(InitialCreate);
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO bookings (reference, customer_email, starts_at, status, requested_at)
            VALUES ('old-1', 'ada@example.org', '2030-01-01T09:00:00Z', 'requested', now()),
                   ('old-2', 'bob@example.org', '2030-01-01T09:00:00Z', 'requested', now());
            """);

        await migrator.MigrateAsync();
        var migrated = await db.Bookings.AsNoTracking().OrderBy(b => b.Reference).ToListAsync();
        await migrator.MigrateAsync(InitialCreate);
        var emails = await db.Database.SqlQueryRaw<string>("SELECT customer_email AS \"Value\" FROM bookings ORDER BY reference").ToListAsync();

        Assert.Equal(["ada@example.org", "bob@example.org"], migrated.Select(b => b.Client));
        Assert.All(migrated, b => Assert.Equal(
            (BookingStatus.Cancelled, new DateTimeOffset(2030, 1, 1, 10, 0, 0, TimeSpan.Zero), "Requested before bookings had a practitioner and a payment"),
            (b.Status, b.EndsAt, b.CancellationReason)));
        Assert.Equal(["ada@example.org", "bob@example.org"], emails);
    }
}
