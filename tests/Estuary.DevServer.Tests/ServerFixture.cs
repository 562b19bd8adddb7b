using Temporalio.Client;

namespace Estuary.DevServer.Tests;

/// <summary>
/// One server for the whole suite: the in-process Estuary dev server, or a real Temporal server when
/// <c>ESTUARY_TEMPORAL_ADDRESS</c> is set (then tests that need time skipping are skipped).
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private TemporalDevServer? _server;

    public static string? ExternalAddress => Environment.GetEnvironmentVariable("ESTUARY_TEMPORAL_ADDRESS");

    public string Address { get; private set; } = "";

    public TemporalClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        if (ExternalAddress is { Length: > 0 } external)
        {
            Address = external;
        }
        else
        {
            _server = await TemporalDevServer.StartAsync(new DevServerOptions
            {
                Namespaces = ["default", "second"],
                LoggerFactory = ServerLogging.Create(),
            });
            Address = _server.Address;
        }
        Client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(Address) { Namespace = "default" });
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerGroup : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
