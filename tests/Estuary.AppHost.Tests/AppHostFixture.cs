using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Estuary.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Estuary.AppHost.Tests;

/// <summary>
/// The whole AppHost, started once for the tests that share it, in local mode (embedded Temporal, PostgreSQL from
/// the machine's binaries) with a fresh cluster in a directory of its own.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "estuary-apphost-tests", Guid.NewGuid().ToString("N"));
    private readonly ConcurrentDictionary<string, ResourceEvent> _states = new();
    private readonly ConcurrentQueue<string> _logs = new();
    private readonly CancellationTokenSource _watching = new();

    private string UserSecretsFile => Path.Combine(_stateDirectory, "apphost-secrets.json");

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>Gets the port Temporal is served on (<c>Temporal:Port</c>).</summary>
    public int TemporalPort { get; } = FreePortWithFreeUiPort();

    /// <summary>Gets the payload encryption key the workers get (the secret parameter <c>payload-key-k1</c>).</summary>
    public string PayloadKey { get; } = Estuary.Temporal.Encryption.PayloadKeyRing.NewKey();

    /// <summary>The AppHost's user secrets id (its project's <c>UserSecretsId</c>).</summary>
    public const string UserSecretsId = "estuary-apphost-5b1f0c3e";

    /// <summary>The configuration <c>estuary</c> reads (<see cref="Estuary.Cli.CliHost.BuildConfiguration(string, Func{string, string})"/>),
    /// with no key given: the AppHost's user secrets, as the endpoints file names them, are a file of this fixture holding
    /// <see cref="PayloadKey"/> as the AppHost keeps it (the parameter <c>payload-key-k1</c>), not the user's real store.</summary>
    /// <returns>The configuration.</returns>
    public IConfiguration CliConfiguration() =>
        Estuary.Cli.CliHost.BuildConfiguration(LocalEndpointsFile, id => id == UserSecretsId ? UserSecretsFile : Path.Combine(_stateDirectory, "no-such-secrets.json"));

    /// <summary>Gets a data converter encrypting and decrypting as the workers do.</summary>
    public Temporalio.Converters.DataConverter DataConverter => Temporalio.Converters.DataConverter.Default with
    {
        PayloadCodec = new Estuary.Temporal.Encryption.EncryptionPayloadCodec(new Estuary.Temporal.Encryption.PayloadKeyRing(
            "k1", new Dictionary<string, byte[]> { ["k1"] = Convert.FromBase64String(PayloadKey) })),
    };

    /// <summary>Gets the endpoints file the AppHost writes (<c>Estuary:LocalEndpointsFile</c>).</summary>
    public string LocalEndpointsFile => Path.Combine(_stateDirectory, "local.json");

    /// <summary>Gets the API key the resources send with their telemetry (<c>AppHost:OtlpApiKey</c>).</summary>
    public string OtlpApiKey { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Gets the stand-in for the dashboard's OTLP endpoint.</summary>
    public OtlpReceiver Otlp { get; private set; } = null!;

    /// <summary>Gets the stand-in for the dashboard's user, answering the dialogs the commands open.</summary>
    public DialogAnswers Dialogs { get; } = new();

    /// <summary>Gets the AppHost's own log lines.</summary>
    public AppHostLog Log { get; } = new();

    /// <summary>Gets the names of the resources that have a life cycle (parameters and resources started only on request, such as Aspire's project rebuilders, aside).</summary>
    public IReadOnlyList<string> ResourceNames { get; private set; } = [];

    /// <summary>Gets the latest notification of every resource, what the dashboard was last sent about it.</summary>
    public IReadOnlyCollection<ResourceEvent> LatestStates => _states.Values.ToList();

    /// <summary>Gets the value of one of the AppHost's parameters, as its resources get it.</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The value.</returns>
    public async Task<string> ParameterValueAsync(string name) =>
        await App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Single(p => p.Name == name)
            .GetValueAsync(TestContext.Current.CancellationToken) ?? throw new InvalidOperationException($"Parameter '{name}' has no value.");

    public async ValueTask InitializeAsync()
    {
        // Readable by the postgres user the cluster runs as when the tests run as root.
        Directory.CreateDirectory(_stateDirectory);
        await File.WriteAllTextAsync(UserSecretsFile, $$"""{ "Parameters:payload-key-k1": "{{PayloadKey}}" }""");
        Otlp = await OtlpReceiver.StartAsync();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
        [
            "Temporal:Mode=Embedded",
            $"Temporal:Port={TemporalPort}",
            "Postgres:Mode=Local",
            $"Estuary:StateDirectory={_stateDirectory}",
            $"Estuary:LocalEndpointsFile={LocalEndpointsFile}",
            $"DOTNET_DASHBOARD_OTLP_ENDPOINT_URL={Otlp.Endpoint}",
            $"AppHost:OtlpApiKey={OtlpApiKey}",
            "DcpPublisher:ContainerRuntimeInitializationTimeout=00:00:00",
            $"Parameters:payload-key-k1={PayloadKey}",
        ]);
        builder.Services.AddLogging(logging => logging.AddProvider(Log));
        builder.Services.AddSingleton<IInteractionService>(Dialogs);
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

        if (Otlp is not null)
        {
            await Otlp.DisposeAsync();
        }

        Directory.Delete(_stateDirectory, recursive: true);
    }

    public void Dispose() => _watching.Dispose();

    /// <summary>Finds a free port whose UI port (+ 1000) is free too.</summary>
    /// <returns>The port.</returns>
    public static int FreePortWithFreeUiPort()
    {
        while (true)
        {
            var port = FreePort();
            if (port + 1000 <= ushort.MaxValue && IsFree(port + 1000))
            {
                return port;
            }
        }
    }

    /// <summary>Finds a free TCP port on the loopback address.</summary>
    /// <returns>The port.</returns>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

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
