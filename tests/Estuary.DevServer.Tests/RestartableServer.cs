using System.Net;
using System.Net.Sockets;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Client;

namespace Estuary.DevServer.Tests;

/// <summary>
/// An in-process server on its own database file that a test stops and starts again on the same file and port, so
/// clients and workers connected to it carry on once it is back.
/// </summary>
internal sealed class RestartableServer : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), TestIds.New("estuary-store"));
    private TemporalDevServer? _server;

    private RestartableServer(int port)
    {
        Port = port;
        Directory.CreateDirectory(_directory);
        DatabasePath = Path.Combine(_directory, "state.db");
    }

    public string DatabasePath { get; }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>A file in the server's directory (deleted with it) for a test's own traces.</summary>
    public string FileNamed(string name) => Path.Combine(_directory, name);

    public static async Task<RestartableServer> StartAsync()
    {
        var server = new RestartableServer(FreePort());
        await server.StartServerAsync();
        return server;
    }

    public Task<TemporalClient> ConnectAsync() => TemporalClient.ConnectAsync(new TemporalClientConnectOptions(Address));

    private async Task StartServerAsync() => _server = await TemporalDevServer.StartAsync(new DevServerOptions
    {
        Port = Port,
        DatabasePath = DatabasePath,
        LoggerFactory = ServerLogging.Create(),
    });

    public async Task StopAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }
    }

    /// <summary>Stops the server, leaves it down for <paramref name="downtime"/> (time goes on meanwhile), and starts it on the same file.</summary>
    public async Task RestartAsync(TimeSpan downtime = default)
    {
        await StopAsync();
        if (downtime > TimeSpan.Zero)
        {
            await Task.Delay(downtime);
        }
        await StartServerAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Follows a run's history as it is written (a long poll) until an event of <paramref name="type"/> appears.</summary>
    public static async Task<HistoryEvent> WaitForEventAsync(WorkflowHandle handle, EventType type)
    {
        await foreach (var evt in handle.FetchHistoryEventsAsync(new WorkflowHistoryEventFetchOptions { WaitNewEvent = true }))
        {
            if (evt.EventType == type)
            {
                return evt;
            }
        }
        throw new InvalidOperationException($"The run closed without a {type} event.");
    }
}
