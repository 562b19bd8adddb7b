using Estuary.Temporal.Domains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Estuary.Testing;

/// <summary>A domain worker hosted in the test process exactly as a worker project hosts it, on its own task queue.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly IHost _host;

    private WorkerProcess(IHost host, string taskQueue)
    {
        _host = host;
        TaskQueue = taskQueue;
    }

    /// <summary>Gets the task queue the worker polls.</summary>
    public string TaskQueue { get; }

    /// <summary>Gets the worker's services (e.g. to seed the domain's database).</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>Starts a worker for one domain; migrations are applied before it polls.</summary>
    /// <param name="domain">The domain served.</param>
    /// <param name="temporalAddress">Temporal's address.</param>
    /// <param name="database">The domain database's connection string.</param>
    /// <param name="taskQueue">The task queue to poll; <c>null</c> polls the domain's own, as a deployed worker does.</param>
    /// <param name="settings">More configuration (e.g. <c>Estuary:Domains:*</c> keys), when given.</param>
    /// <returns>The running worker.</returns>
    public static async Task<WorkerProcess> StartAsync(
        EstuaryDomain domain, string temporalAddress, string database, string? taskQueue, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var configuration = Configuration(domain, temporalAddress, database, taskQueue);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var host = WorkerHost.Build(temporalAddress, configuration, configure: null, domain);
        return await StartAsync(host, taskQueue ?? domain.DefaultTaskQueue);
    }

    /// <summary>Starts a worker host built by <see cref="WorkerHost.Build"/>; disposing the result stops it first (a
    /// host only disposed leaves its Temporal worker polling, and logging, after the test).</summary>
    /// <param name="host">The host, not started.</param>
    /// <param name="taskQueue">The task queue its worker polls.</param>
    /// <returns>The running worker.</returns>
    public static async Task<WorkerProcess> StartAsync(IHost host, string taskQueue)
    {
        await host.StartAsync();
        return new WorkerProcess(host, taskQueue);
    }

    /// <summary>The configuration a worker of <paramref name="domain"/> reads, as Aspire would give it (with
    /// <see cref="TestEncryption"/>'s key).</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="temporalAddress">Temporal's address.</param>
    /// <param name="database">The domain database's connection string.</param>
    /// <param name="taskQueue">The task queue to poll, or <c>null</c> for the domain's own.</param>
    /// <returns>Configuration keys and values.</returns>
    public static Dictionary<string, string?> Configuration(EstuaryDomain domain, string temporalAddress, string database, string? taskQueue) =>
        new(TestEncryption.Settings)
        {
            ["ConnectionStrings:temporal"] = temporalAddress,
            [$"ConnectionStrings:{domain.ConnectionName}"] = database,
            ["Estuary:Worker:TaskQueue"] = taskQueue,
        };

    /// <summary>Runs code with a fresh DI scope of the worker (a DbContext, a service…).</summary>
    /// <typeparam name="TService">The service used.</typeparam>
    /// <typeparam name="TResult">What the code returns.</typeparam>
    /// <param name="action">The code.</param>
    /// <returns>What the code returned.</returns>
    public async Task<TResult> WithAsync<TService, TResult>(Func<TService, Task<TResult>> action)
        where TService : notnull
    {
        await using var scope = _host.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
