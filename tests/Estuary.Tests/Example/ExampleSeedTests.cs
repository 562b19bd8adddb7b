using Estuary.Tests.Infrastructure;
using Estuary.Worker.Example;
using Estuary.Worker.Example.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Estuary.Tests.Example;

[Collection(UsesPostgres.Name)]
public sealed class ExampleSeedTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Migrate_FreshDatabase_HoldsEntitiesOneToThreeAndNewEntitiesFollowThem()
    {
        await using var harness = await DomainHarness.CreateAsync(new ExampleDomain(), await postgres.CreateDatabaseAsync("example_seed"));
        await using var scope = harness.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ExampleDbContext>();

        var seeded = await db.Entities.OrderBy(e => e.Id).Select(e => new { e.Id, e.Status }).ToListAsync();
        var added = new ExampleEntity { Name = "created after the seed", CreatedAt = DateTimeOffset.UtcNow };
        db.Entities.Add(added);
        await db.SaveChangesAsync();

        Assert.Equal([1, 2, 3], seeded.Select(e => e.Id));
        Assert.All(seeded, e => Assert.Equal(ExampleEntity.NewStatus, e.Status));
        Assert.Equal(4, added.Id);
    }
}
