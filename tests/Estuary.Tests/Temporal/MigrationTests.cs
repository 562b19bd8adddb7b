using Estuary.Temporal.Data;
using Estuary.Temporal.Domains;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Bookings;
using Estuary.Worker.Example;
using Estuary.Worker.Payments;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Estuary.Tests.Temporal;

[Collection(UsesPostgres.Name)]
public sealed class MigrationTests(PostgresFixture postgres)
{
    public static TheoryData<string> Domains => ["example", "bookings", "payments"];

    [Theory]
    [MemberData(nameof(Domains))]
    public async Task Migrate_EmptyDatabase_CreatesTheSchemaAndLeavesNoPendingModelChanges(string name)
    {
        EstuaryDomain domain = name switch
        {
            "example" => new ExampleDomain(),
            "bookings" => new BookingsDomain(),
            _ => new PaymentsDomain(),
        };

        await using var harness = await DomainHarness.CreateAsync(domain, await postgres.CreateDatabaseAsync($"migrate_{name}"));
        await using var scope = harness.Services.CreateAsyncScope();
        var db = harness.DbContext(scope);

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges());
        var tables = await db.Database
            .SqlQuery<string>($"SELECT table_name AS \"Value\" FROM information_schema.tables WHERE table_schema = 'public'")
            .ToListAsync();
        Assert.Contains(EstuaryDbContext.ActivityResultsTable, tables);
        Assert.All(db.Model.GetEntityTypes(), entity => Assert.Contains(entity.GetTableName(), tables));
    }
}
