using Estuary.Tests.Infrastructure;
using Estuary.Worker.Example;
using Estuary.Worker.Example.Activities;
using Estuary.Worker.Example.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Exceptions;

namespace Estuary.Tests.Example;

[Collection(UsesPostgres.Name)]
public sealed class ExampleActivitiesTests(PostgresFixture postgres) : IAsyncLifetime
{
    private DomainHarness _harness = null!;

    public async ValueTask InitializeAsync() =>
        _harness = await DomainHarness.CreateAsync(new ExampleDomain(), await postgres.DatabaseForAsync(GetType()));

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task GetEntityDetails_ExistingEntity_ReturnsItsDetails()
    {
        var id = await AddEntityAsync("alpha");

        var details = await _harness.RunActivityAsync<EntityDetails>(_harness.Info("get_entity_details", "wf-details"), id);

        Assert.Equal((id, "alpha", ExampleEntity.NewStatus), (details.Id, details.Name, details.Status));
        Assert.NotEqual(default, details.CreatedAt);
        Assert.Equal(await CreatedAtAsync(id), details.CreatedAt);
    }

    [Fact]
    public async Task GetEntityDetails_UnknownEntity_FailsWithoutRetry()
    {
        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(
            () => _harness.RunActivityAsync<EntityDetails>(_harness.Info("get_entity_details", "wf-missing"), 123));

        Assert.Equal("Entity 123 not found", failure.Message);
        Assert.Equal(ExampleActivities.EntityNotFound, failure.ErrorType);
        Assert.True(failure.NonRetryable);
    }

    [Fact]
    public async Task ProcessEntity_UnknownEntity_FailsWithoutRetryAndRecordsNothing()
    {
        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(
            () => _harness.RunActivityAsync<ProcessEntityResult>(_harness.Info("process_entity", "wf-process-missing"), 123));

        Assert.Equal("Entity 123 not found", failure.Message);
        Assert.True(failure.NonRetryable);
        Assert.Empty(await RecordedActivitiesAsync("wf-process-missing"));
    }

    [Fact]
    public async Task ProcessEntity_NewEntity_MarksItProcessedAndRecordsTheResult()
    {
        var id = await AddEntityAsync("beta");

        var result = await _harness.RunActivityAsync<ProcessEntityResult>(_harness.Info("process_entity", "wf-process"), id);

        Assert.Equal(id, result.EntityId);
        Assert.True(result.Success);
        Assert.Equal(ExampleEntity.NewStatus, result.Result.PreviousStatus);
        Assert.Equal(ExampleEntity.ProcessedStatus, result.Result.Status);
        Assert.Equal(ExampleEntity.ProcessedStatus, await StatusAsync(id));
        var recorded = await RecordedActivitiesAsync("wf-process");
        Assert.Equal(["process_entity"], recorded);
    }

    [Fact]
    public async Task ProcessEntity_FailureBeforeCommit_RollsBackTheEntityChange()
    {
        var id = await AddEntityAsync("gamma");

        // Make the last statement of the transaction (the idempotency record) fail after the activity saved its change.
        await ExecuteSqlAsync("""
            CREATE FUNCTION fail_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'recording failed'; END $$;
            CREATE TRIGGER fail_record BEFORE INSERT ON estuary_activity_results FOR EACH ROW EXECUTE FUNCTION fail_record();
            """);
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(
                () => _harness.RunActivityAsync<ProcessEntityResult>(_harness.Info("process_entity", "wf-rollback"), id));
        }
        finally
        {
            await ExecuteSqlAsync("DROP TRIGGER fail_record ON estuary_activity_results; DROP FUNCTION fail_record();");
        }

        Assert.Equal(ExampleEntity.NewStatus, await StatusAsync(id));
        Assert.Empty(await RecordedActivitiesAsync("wf-rollback"));

        // Temporal's retry then applies the effect once.
        var retried = await _harness.RunActivityAsync<ProcessEntityResult>(_harness.Info("process_entity", "wf-rollback", attempt: 2), id);
        Assert.Equal(ExampleEntity.NewStatus, retried.Result.PreviousStatus);
        Assert.Equal(ExampleEntity.ProcessedStatus, await StatusAsync(id));
    }

    [Fact]
    public async Task ProcessEntity_RetryAfterCommittedAttempt_ReturnsRecordedResultWithoutApplyingTheEffectAgain()
    {
        var id = await AddEntityAsync("delta");
        var first = await _harness.RunActivityAsync<ProcessEntityResult>(_harness.Info("process_entity", "wf-once"), id);

        // The completion of attempt 1 never reached Temporal; meanwhile someone else changed the entity.
        await ExecuteSqlAsync($"UPDATE example_entities SET status = 'archived' WHERE id = {id}");
        var second = await _harness.RunActivityAsync<ProcessEntityResult>(_harness.Info("process_entity", "wf-once", attempt: 2), id);

        Assert.Equal(first, second);
        Assert.Equal("archived", await StatusAsync(id));
        Assert.Equal(["process_entity"], await RecordedActivitiesAsync("wf-once"));
    }

    [Fact]
    public async Task ProcessEntity_SameEntityInAnotherWorkflow_IsProcessedAgain()
    {
        var id = await AddEntityAsync("epsilon");
        await _harness.RunActivityAsync<ProcessEntityResult>(_harness.Info("process_entity", "wf-first"), id);

        var other = await _harness.RunActivityAsync<ProcessEntityResult>(_harness.Info("process_entity", "wf-second"), id);

        Assert.Equal(ExampleEntity.ProcessedStatus, other.Result.PreviousStatus);
    }

    private async Task<int> AddEntityAsync(string name)
    {
        await using var scope = _harness.Services.CreateAsyncScope();
        var db = (ExampleDbContext)_harness.DbContext(scope);
        var entity = new ExampleEntity { Name = name };
        db.Entities.Add(entity);
        await db.SaveChangesAsync();
        return entity.Id;
    }

    private async Task<string> StatusAsync(int id)
    {
        await using var scope = _harness.Services.CreateAsyncScope();
        var db = (ExampleDbContext)_harness.DbContext(scope);
        return await db.Entities.Where(e => e.Id == id).Select(e => e.Status).SingleAsync();
    }

    private async Task<DateTimeOffset> CreatedAtAsync(int id)
    {
        await using var scope = _harness.Services.CreateAsyncScope();
        var db = (ExampleDbContext)_harness.DbContext(scope);
        return await db.Entities.Where(e => e.Id == id).Select(e => e.CreatedAt).SingleAsync();
    }

    private async Task<List<string>> RecordedActivitiesAsync(string workflowId)
    {
        await using var scope = _harness.Services.CreateAsyncScope();
        return await _harness.DbContext(scope).ActivityResults
            .Where(r => r.WorkflowId == workflowId)
            .Select(r => r.ActivityType)
            .ToListAsync();
    }

    private async Task ExecuteSqlAsync(string sql)
    {
        await using var scope = _harness.Services.CreateAsyncScope();
        await _harness.DbContext(scope).Database.ExecuteSqlRawAsync(sql);
    }
}
