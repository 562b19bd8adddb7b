using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Estuary.AppHost.Tests;

/// <summary>
/// The whole AppHost, started once for the tests that share it, in local mode (embedded Temporal, PostgreSQL from
/// the machine's binaries) with a fresh cluster in a directory of its own.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "estuary-apphost-tests", Guid.NewGuid().ToString("N"));
    private readonly ConcurrentDictionary<string, ResourceEvent> _states = new();
    private readonly ConcurrentQueue<string> _logs = new();
    private readonly CancellationTokenSource _watching = new();

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>Gets the names of the resources that have a life cycle (parameters and resources started only on request, such as Aspire's project rebuilders, aside).</summary>
    public IReadOnlyList<string> ResourceNames { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        // Readable by the postgres user the cluster runs as when the tests run as root.
        Directory.CreateDirectory(_stateDirectory);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
        [
            "Temporal:Mode=Embedded",
            "Postgres:Mode=Local",
            $"Estuary:StateDirectory={_stateDirectory}",
            "DcpPublisher:ContainerRuntimeInitializationTimeout=00:00:00",
        ]);
        ResourceNames = builder.Resources
            .Where(r => r is not ParameterResource)
            .Where(r => !r.HasAnnotationOfType<ExplicitStartupAnnotation>())
            .Select(r => r.Name)
            .ToList();
        App = await builder.BuildAsync();
        _ = WatchAsync(App.Services.GetRequiredService<ResourceNotificationService>(), App.Services.GetRequiredService<ResourceLoggerService>());

        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await App.StartAsync(timeout.Token);
        }
        catch (OperationCanceledException exception)
        {
            throw new TimeoutException($"The AppHost did not start in {StartTimeout}.{Environment.NewLine}{Describe()}", exception);
        }
    }

    /// <summary>Waits until every resource is healthy.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>A task.</returns>
    /// <exception cref="TimeoutException">A resource is not healthy in time; the message has every resource's state and the logs.</exception>
    public async Task WaitForAllHealthyAsync(TimeSpan timeout)
    {
        var notifications = App.Services.GetRequiredService<ResourceNotificationService>();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await Task.WhenAll(ResourceNames.Select(name => notifications.WaitForResourceHealthyAsync(name, cancellation.Token)));
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Not every resource was healthy after {timeout}.{Environment.NewLine}{Describe()}");
        }
    }

    /// <summary>Describes every resource's last state and the resources' logs, for failure messages.</summary>
    /// <returns>The description.</returns>
    public string Describe() =>
        $"Waited for: {string.Join(", ", ResourceNames)}{Environment.NewLine}" +
        string.Join(Environment.NewLine, _states.Values.OrderBy(e => e.Resource.Name).Select(e =>
            $"{e.Resource.Name}: {e.Snapshot.State?.Text} health={e.Snapshot.HealthStatus?.ToString() ?? "-"} " +
            string.Join(", ", e.Snapshot.HealthReports.Select(r => $"[{r.Name}: {r.Status} {r.Description}]"))))
        + Environment.NewLine + string.Join(Environment.NewLine, _logs.TakeLast(200));

    public async ValueTask DisposeAsync()
    {
        await _watching.CancelAsync();
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }

        Directory.Delete(_stateDirectory, recursive: true);
    }

    public void Dispose() => _watching.Dispose();

    // Logs are watched by resource id: watching by name hangs in the testing host.
    private async Task WatchAsync(ResourceNotificationService notifications, ResourceLoggerService loggers)
    {
        var watched = new HashSet<string>();
        try
        {
            await foreach (var resourceEvent in notifications.WatchAsync(_watching.Token))
            {
                _states[resourceEvent.Resource.Name] = resourceEvent;
                if (watched.Add(resourceEvent.ResourceId))
                {
                    _ = WatchLogsAsync(loggers, resourceEvent.ResourceId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WatchLogsAsync(ResourceLoggerService loggers, string resourceId)
    {
        try
        {
            await foreach (var batch in loggers.WatchAsync(resourceId).WithCancellation(_watching.Token))
            {
                foreach (var line in batch)
                {
                    _logs.Enqueue($"[{resourceId}] {line.Content}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostTestGroup : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}
