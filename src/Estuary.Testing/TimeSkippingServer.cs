using Estuary.DevServer;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Temporalio.Api.TestService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.Testing;

/// <summary>
/// An embedded server in test-server mode for workflows that sleep for days: time skipping starts locked, so timers
/// follow the wall clock while a test drives a workflow (signals, queries), and <see cref="SkippingTimeAsync{T}"/>
/// lets the clock jump from timer to timer while the test waits for an outcome, as the SDK's time-skipping
/// environment does. Its clock runs ahead of the wall clock after a test has skipped time: read it with
/// <see cref="NowAsync"/>. A run a test leaves open fires its timers in a later test, and once its worker is gone its
/// next task waits for ever, which stops time from skipping: end each test with <see cref="TerminateOpenRunsAsync"/>.
/// </summary>
public sealed class TimeSkippingServer : IAsyncDisposable
{
    private readonly TemporalDevServer _server;

    private TimeSkippingServer(TemporalDevServer server, TemporalClient client)
    {
        _server = server;
        Client = client;
    }

    /// <summary>Gets the server's address, <c>host:port</c>.</summary>
    public string Address => _server.Address;

    /// <summary>Gets a client connected to the server's default namespace, encrypting and decrypting payloads with
    /// <see cref="TestEncryption"/>'s key as the workers <see cref="WorkerHost"/> builds do.</summary>
    public TemporalClient Client { get; }

    /// <summary>Starts a server.</summary>
    /// <param name="loggerFactory">Where the server logs (at debug level, one line per RPC and per time skip), when given.</param>
    /// <returns>The running server.</returns>
    public static async Task<TimeSkippingServer> StartAsync(ILoggerFactory? loggerFactory = null)
    {
        // Closed runs are kept for the server's simulated time, which runs weeks ahead: keep them long enough to read.
        var server = await TemporalDevServer.StartAsync(new DevServerOptions
        {
            TimeSkipping = true,
            TimeSkippingStartsLocked = true,
            Retention = TimeSpan.FromDays(3650),
            LoggerFactory = loggerFactory,
        });
        return new TimeSkippingServer(server, await TemporalClient.ConnectAsync(
            new TemporalClientConnectOptions(server.Address) { DataConverter = TestEncryption.DataConverter }));
    }

    /// <summary>Gets the server's current time, truncated to the second (what PostgreSQL stores round-trips exactly).</summary>
    /// <returns>The time.</returns>
    public async Task<DateTimeOffset> NowAsync()
    {
        var now = (await Client.Connection.TestService.GetCurrentTimeAsync(new Empty())).Time.ToDateTimeOffset();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    /// <summary>Lets time skip while <paramref name="wait"/> runs, then locks it again.</summary>
    /// <typeparam name="T">What the wait returns.</typeparam>
    /// <param name="wait">What the test waits for (a workflow result, a command).</param>
    /// <returns>What the wait returned.</returns>
    public async Task<T> SkippingTimeAsync<T>(Func<Task<T>> wait)
    {
        await Client.Connection.TestService.UnlockTimeSkippingAsync(new UnlockTimeSkippingRequest());
        try
        {
            return await wait();
        }
        finally
        {
            await Client.Connection.TestService.LockTimeSkippingAsync(new LockTimeSkippingRequest());
        }
    }

    /// <summary>Terminates every run still open on the given task queues: what a test that failed half-way left behind.</summary>
    /// <param name="taskQueues">The test's task queues.</param>
    /// <returns>A task completing once every such run is closed.</returns>
    public async Task TerminateOpenRunsAsync(params string[] taskQueues)
    {
        foreach (var taskQueue in taskQueues)
        {
            var open = new List<WorkflowExecution>();
            await foreach (var run in Client.ListWorkflowsAsync($"TaskQueue = '{taskQueue}' AND ExecutionStatus = 'Running'"))
            {
                open.Add(run);
            }

            foreach (var run in open)
            {
                try
                {
                    await Client.GetWorkflowHandle(run.Id, run.RunId).TerminateAsync("the test ended");
                }
                catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
                {
                    // It closed (a child whose parent was just terminated, say) between the listing and now.
                }
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}
