using Temporalio.Client;

namespace Estuary.DevServer.Tests;

/// <summary>An in-process server in test-server mode (time skipping on).</summary>
public sealed class TimeSkippingFixture : IAsyncLifetime
{
    private TemporalDevServer? _server;

    public TemporalClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await TemporalDevServer.StartAsync(new DevServerOptions { TimeSkipping = true });
        Client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(_server.Address));
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
