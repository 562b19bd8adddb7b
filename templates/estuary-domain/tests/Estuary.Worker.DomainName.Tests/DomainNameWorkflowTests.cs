using Estuary.DevServer;
using Estuary.Worker.DomainName.Activities;
using Estuary.Worker.DomainName.Data;
using Estuary.Worker.DomainName.Workflows;
using Microsoft.EntityFrameworkCore;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.Worker.DomainName.Tests;

/// <summary>The DomainName domain end to end: its worker, as its project hosts it, against the embedded Temporal server and a
/// real PostgreSQL database migrated by the worker.</summary>
public sealed class DomainNameWorkflowTests(DomainNameFixture fixture) : IClassFixture<DomainNameFixture>
{
    [Fact]
    public async Task RunAsync_NewItem_MarksItProcessed()
    {
        var itemId = await fixture.Worker.WithAsync<DomainNameDbContext, int>(async db =>
        {
            var item = new DomainNameItem { Name = "first", CreatedAt = DateTimeOffset.UtcNow };
            db.Items.Add(item);
            await db.SaveChangesAsync();
            return item.Id;
        });

        var result = await fixture.Client.ExecuteWorkflowAsync(
            (DomainNameWorkflow wf) => wf.RunAsync(itemId),
            new WorkflowOptions($"domainname-{Guid.NewGuid():N}", fixture.Worker.TaskQueue));

        Assert.Equal((itemId, DomainNameItem.NewStatus, DomainNameItem.ProcessedStatus), (result.ItemId, result.PreviousStatus, result.Status));
        var status = await fixture.Worker.WithAsync<DomainNameDbContext, string>(
            db => db.Items.Where(i => i.Id == itemId).Select(i => i.Status).SingleAsync());
        Assert.Equal(DomainNameItem.ProcessedStatus, status);
    }

    [Fact]
    public async Task RunAsync_UnknownItem_FailsWithoutRetry()
    {
        var failure = await Assert.ThrowsAsync<WorkflowFailedException>(() => fixture.Client.ExecuteWorkflowAsync(
            (DomainNameWorkflow wf) => wf.RunAsync(987654),
            new WorkflowOptions($"domainname-{Guid.NewGuid():N}", fixture.Worker.TaskQueue)));

        var activity = Assert.IsType<ActivityFailureException>(failure.InnerException);
        var cause = Assert.IsType<ApplicationFailureException>(activity.InnerException);
        Assert.Equal(DomainNameActivities.ItemNotFound, cause.ErrorType);
    }

    [Fact]
    public async Task Migrations_AppliedByTheWorker_MatchTheModel()
    {
        var pending = await fixture.Worker.WithAsync<DomainNameDbContext, bool>(db => Task.FromResult(db.Database.HasPendingModelChanges()));

        Assert.False(pending, "The model changed without a migration: dotnet ef migrations add <Name> --project src/Estuary.Worker.DomainName --output-dir Data/Migrations");
    }
}

/// <summary>One embedded Temporal server, one PostgreSQL server and one DomainName worker (fresh database, own task queue) for the tests.</summary>
public sealed class DomainNameFixture : IAsyncLifetime
{
    private readonly LocalPostgres _postgres = new();
    private TemporalDevServer _server = null!;

    /// <summary>Gets a client of the server.</summary>
    public TemporalClient Client { get; private set; } = null!;

    /// <summary>Gets the running worker.</summary>
    public WorkerProcess Worker { get; private set; } = null!;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        await _postgres.StartAsync();
        _server = await TemporalDevServer.StartAsync(new DevServerOptions());
        Client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(_server.Address) { DataConverter = TestEncryption.DataConverter });
        Worker = await WorkerProcess.StartAsync(
            new DomainNameDomain(), _server.Address, await _postgres.CreateDatabaseAsync("domainname"), $"domainname-{Guid.NewGuid():N}");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync();
        await _server.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}
