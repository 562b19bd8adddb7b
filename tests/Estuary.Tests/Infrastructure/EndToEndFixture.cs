using Estuary.DevServer;
using Estuary.Temporal.Domains;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;

namespace Estuary.Tests.Infrastructure;

/// <summary>
/// Everything an end-to-end test needs, started once for the collection: a Temporal server (the embedded
/// <see cref="TemporalDevServer"/>, or the server at <c>ESTUARY_TEMPORAL_ADDRESS</c> when set, so the same tests run
/// against a real Temporal dev server), a real PostgreSQL, and one running worker per domain, each on its own task
/// queue and database; and, on first use, a second embedded server in time-skipping mode (<see cref="TimeSkippingAsync"/>).
/// </summary>
public sealed class EndToEndFixture : IAsyncLifetime
{
    private readonly Dictionary<string, WorkerProcess> _workers = new(StringComparer.Ordinal);
    private readonly Lazy<Task<TimeSkippingServer>> _timeSkipping = new(() => TimeSkippingServer.StartAsync());
    private TemporalDevServer? _server;

    /// <summary>Gets the PostgreSQL server.</summary>
    public PostgresFixture Postgres { get; } = new();

    /// <summary>Gets the Temporal server's address, <c>host:port</c>.</summary>
    public string Address { get; private set; } = string.Empty;

    /// <summary>Gets a client connected to the server's default namespace, with the workers' encryption key.</summary>
    public TemporalClient Client { get; private set; } = null!;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("ESTUARY_TEMPORAL_ADDRESS");
        if (string.IsNullOrWhiteSpace(external))
        {
            _server = await TemporalDevServer.StartAsync(new DevServerOptions());
            Address = _server.Address;
        }
        else
        {
            Address = external;
        }

        Client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(Address) { DataConverter = TestEncryption.DataConverter });
        await Postgres.InitializeAsync();
    }

    /// <summary>Reads a run's history as the server stores and serves it: every page, through no codec.</summary>
    /// <param name="workflowId">The workflow id (its latest run).</param>
    /// <returns>The history, payloads as stored.</returns>
    public async Task<History> RawHistoryAsync(string workflowId)
    {
        var history = new History();
        var request = new GetWorkflowExecutionHistoryRequest { Namespace = "default", Execution = new Temporalio.Api.Common.V1.WorkflowExecution { WorkflowId = workflowId } };
        do
        {
            var page = await Client.WorkflowService.GetWorkflowExecutionHistoryAsync(request);
            history.Events.AddRange(page.History.Events);
            request.NextPageToken = page.NextPageToken;
        }
        while (!request.NextPageToken.IsEmpty);
        return history;
    }

    /// <summary>Gets the running worker of a domain, starting it (with a fresh, migrated database) on first use.</summary>
    /// <param name="domain">The domain.</param>
    /// <returns>The worker.</returns>
    public async Task<WorkerProcess> WorkerAsync(EstuaryDomain domain)
    {
        if (!_workers.TryGetValue(domain.Name, out var worker))
        {
            var database = await Postgres.CreateDatabaseAsync($"{domain.Name}_e2e");
            worker = await WorkerProcess.StartAsync(domain, Address, database, $"{domain.Name}-{Guid.NewGuid():N}");
            _workers.Add(domain.Name, worker);
        }

        return worker;
    }

    /// <summary>Gets the time-skipping server (always embedded), started on first use: for workflows that sleep for days.</summary>
    /// <returns>The server.</returns>
    public Task<TimeSkippingServer> TimeSkippingAsync() => _timeSkipping.Value;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_timeSkipping.IsValueCreated)
        {
            await (await _timeSkipping.Value).DisposeAsync();
        }

        foreach (var worker in _workers.Values)
        {
            await worker.DisposeAsync();
        }

        await Postgres.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>Tests that need Temporal, PostgreSQL and domain workers: <c>[Collection(UsesTemporal.Name)]</c>.</summary>
[CollectionDefinition(Name)]
public sealed class UsesTemporal : ICollectionFixture<EndToEndFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "end-to-end";
}
