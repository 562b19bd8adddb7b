using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Estuary.DevServer.Tests.Workflows;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// The server executable killed (SIGKILL) while a worker runs a steady load, then started again on the same file: no
/// acknowledged start, signal, update or activity completion is lost, every acknowledged workflow finishes with a history the SDK
/// replays, and an activity runs again only if its completion had not been acknowledged.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("estuary-crash-").FullName;
    private readonly ConcurrentQueue<string> _trace = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Process StartServer(int port, string database)
    {
        var info = new ProcessStartInfo(DevServerExecutable.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "server", "start-dev", "--port", port.ToString(CultureInfo.InvariantCulture), "--headless", "--log-level", "error", "--db-filename", database })
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }

    private static async Task WaitUntilListeningAsync(Process server)
    {
        var line = await server.StandardOutput.ReadLineAsync();
        Assert.StartsWith("Temporal dev server listening on", line, StringComparison.Ordinal);
        _ = server.StandardOutput.ReadToEndAsync();
    }

    [DevServerOnlyFact]
    public async Task KillServer_UnderSteadyLoad_EveryAcknowledgedWorkflowFinishesAndNoAcknowledgedResultIsRepeated()
    {
        var database = Path.Combine(_directory, "state.db");
        var port = FreePort();
        var server = StartServer(port, database);
        try
        {
            await WaitUntilListeningAsync(server);
            var client = await TemporalClient.ConnectAsync(new($"127.0.0.1:{port}"));
            var taskQueue = TestIds.New("tq");
            var completions = Channel.CreateUnbounded<(byte[] TaskToken, string Key)>();
            using var worker = new TemporalWorker(client, new TemporalWorkerOptions(taskQueue)
                .AddWorkflow<TwoStepWorkflow>()
                .AddAllActivities(new AsyncCompletedActivities(completions.Writer, _trace.Enqueue)));
            using var stopWorker = new CancellationTokenSource();
            var workerRun = worker.ExecuteAsync(stopWorker.Token);
            var completer = CompleteActivitiesAsync(client, completions.Reader);

            using var stopLoad = new CancellationTokenSource();
            var acknowledged = new ConcurrentBag<WorkflowHandle<TwoStepWorkflow, string>>();
            var starters = Enumerable.Range(0, 2).Select(_ => StartWorkflowsAsync(client, taskQueue, acknowledged, stopLoad.Token)).ToList();

            // Kill once the load is in full swing: some workflows done, some half way, some just started.
            await WaitUntilAsync(() => _trace.Count(line => line.StartsWith("acked", StringComparison.Ordinal) && line.EndsWith("/2", StringComparison.Ordinal)) >= 10);
            server.Kill();
            await server.WaitForExitAsync();
            server.Dispose();
            server = StartServer(port, database);
            await WaitUntilListeningAsync(server);
            await Task.Delay(TimeSpan.FromSeconds(1));
            await stopLoad.CancelAsync();
            await Task.WhenAll(starters);

            using var hangGuard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            foreach (var handle in acknowledged)
            {
                var key = handle.Id;
                Assert.Equal($"{key}/1 done {key}/2 done", await handle.GetResultAsync(rpcOptions: new() { CancellationToken = hangGuard.Token }));
            }
            await stopWorker.CancelAsync();
            await IgnoreCancellationAsync(workerRun);
            completions.Writer.Complete();
            await completer;

            var lines = _trace.ToList();
            foreach (var handle in acknowledged)
            {
                foreach (var step in new[] { $"{handle.Id}/1", $"{handle.Id}/2" })
                {
                    var acked = lines.IndexOf($"acked {step}");
                    if (acked >= 0)
                    {
                        // At least once: it may have run again before its completion was acknowledged, never after.
                        Assert.DoesNotContain($"start {step}", lines.Skip(acked + 1));
                    }
                    else
                    {
                        // Applied, though the answer to the completion was lost with the killed server.
                        Assert.Contains($"unacked {step}", lines);
                    }
                }
            }
            Assert.True(acknowledged.Count >= 10, $"only {acknowledged.Count} workflows were started");

            var histories = new List<Temporalio.Common.WorkflowHistory>();
            await foreach (var run in client.ListWorkflowsAsync($"TaskQueue = '{taskQueue}'"))
            {
                histories.Add(await client.GetWorkflowHandle(run.Id, runId: run.RunId).FetchHistoryAsync());
            }
            await AssertReplayAsync<TwoStepWorkflow>(histories);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    [DevServerOnlyFact]
    public async Task KillServer_WhileSignalsAndUpdatesArrive_EveryAcknowledgedOneIsInItsWorkflowAfterRestart()
    {
        var database = Path.Combine(_directory, "state.db");
        var port = FreePort();
        var server = StartServer(port, database);
        try
        {
            await WaitUntilListeningAsync(server);
            var client = await TemporalClient.ConnectAsync(new($"127.0.0.1:{port}"));
            var taskQueue = TestIds.New("tq");
            using var worker = new TemporalWorker(client, new TemporalWorkerOptions(taskQueue).AddWorkflow<UpdatableWorkflow>());
            using var stopWorker = new CancellationTokenSource();
            var workerRun = worker.ExecuteAsync(stopWorker.Token);
            var handles = new List<WorkflowHandle<UpdatableWorkflow, string>>();
            for (var i = 0; i < 3; i++)
            {
                handles.Add(await client.StartWorkflowAsync((UpdatableWorkflow wf) => wf.RunAsync(), new(TestIds.New("mailbox"), taskQueue) { TaskTimeout = TimeSpan.FromSeconds(2) }));
            }

            var signals = new ConcurrentQueue<(string WorkflowId, string Item)>();
            var updates = new ConcurrentQueue<(string WorkflowId, string Item)>();
            var restarted = false;
            var ackedAfterRestart = 0;
            using var stopLoad = new CancellationTokenSource();
            var rpc = new RpcOptions { Timeout = TimeSpan.FromSeconds(2) };
            async Task SendAsync(string kind, int sender, ConcurrentQueue<(string, string)> acked)
            {
                for (var n = 0; !stopLoad.IsCancellationRequested; n++)
                {
                    var handle = handles[n % handles.Count];
                    var item = $"{kind}{sender}-{n}";
                    try
                    {
                        if (kind == "signal")
                        {
                            await handle.SignalAsync(wf => wf.PostAsync(item), new() { Rpc = rpc });
                        }
                        else
                        {
                            await handle.ExecuteUpdateAsync(wf => wf.AddAsync(item), new() { Rpc = rpc });
                        }

                        acked.Enqueue((handle.Id, item));
                        if (Volatile.Read(ref restarted))
                        {
                            Interlocked.Increment(ref ackedAfterRestart);
                        }
                    }
                    catch (Exception e) when (e is RpcException or WorkflowUpdateRpcTimeoutOrCanceledException or OperationCanceledException)
                    {
                        // The server is down: not acknowledged.
                    }
                }
            }

            var senders = new[] { SendAsync("signal", 1, signals), SendAsync("signal", 2, signals), SendAsync("update", 1, updates), SendAsync("update", 2, updates) };

            // Kill while both kinds arrive, then go on sending to the restarted server for a while.
            await WaitUntilAsync(() => signals.Count >= 20 && updates.Count >= 10);
            server.Kill();
            await server.WaitForExitAsync();
            server.Dispose();
            server = StartServer(port, database);
            await WaitUntilListeningAsync(server);
            Volatile.Write(ref restarted, true);
            await WaitUntilAsync(() => Volatile.Read(ref ackedAfterRestart) >= 10);
            await stopLoad.CancelAsync();
            await Task.WhenAll(senders);

            using var hangGuard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            foreach (var handle in handles)
            {
                await handle.SignalAsync(wf => wf.FinishAsync(), new() { Rpc = new() { CancellationToken = hangGuard.Token } });
                var items = (await handle.GetResultAsync(rpcOptions: new() { CancellationToken = hangGuard.Token })).Split(',');
                // Exactly once, even where the client sent it again because the killed server never answered.
                foreach (var (_, item) in signals.Concat(updates).Where(s => s.WorkflowId == handle.Id))
                {
                    Assert.Single(items, i => i == item);
                }
            }

            await stopWorker.CancelAsync();
            await IgnoreCancellationAsync(workerRun);
            var histories = new List<Temporalio.Common.WorkflowHistory>();
            foreach (var handle in handles)
            {
                histories.Add(await handle.FetchHistoryAsync());
            }

            await AssertReplayAsync<UpdatableWorkflow>(histories);
        }
        finally
        {
            await StopAsync(server);
        }
    }

    /// <summary>Replays each history with the SDK: what the restarted server wrote is a history the workflow code accepts.</summary>
    private static async Task AssertReplayAsync<TWorkflow>(IEnumerable<Temporalio.Common.WorkflowHistory> histories)
    {
        var replayer = new WorkflowReplayer(new WorkflowReplayerOptions().AddWorkflow<TWorkflow>());
        foreach (var replayed in await replayer.ReplayWorkflowsAsync(histories))
        {
            Assert.Null(replayed.ReplayFailure);
        }
    }

    private static async Task StopAsync(Process server)
    {
        if (!server.HasExited)
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
        server.Dispose();
    }

    /// <summary>Starts workflows back to back; a start the server answered is acknowledged (one it did not answer may or may not exist).</summary>
    private static async Task StartWorkflowsAsync(TemporalClient client, string taskQueue, ConcurrentBag<WorkflowHandle<TwoStepWorkflow, string>> acknowledged, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var key = TestIds.New("wf");
            try
            {
                acknowledged.Add(await client.StartWorkflowAsync((TwoStepWorkflow wf) => wf.RunAsync(key), new(key, taskQueue)
                {
                    TaskTimeout = TimeSpan.FromSeconds(2),
                    Rpc = new() { Timeout = TimeSpan.FromSeconds(2) },
                }));
            }
            catch (RpcException)
            {
                // The server is down: not acknowledged.
            }
        }
    }

    /// <summary>Reports each activity's result to the server and traces whether the server acknowledged it.</summary>
    private async Task CompleteActivitiesAsync(TemporalClient client, ChannelReader<(byte[] TaskToken, string Key)> completions)
    {
        var pending = new List<Task>();
        await foreach (var (token, key) in completions.ReadAllAsync())
        {
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    await client.GetAsyncActivityHandle(token).CompleteAsync($"{key} done", new() { Rpc = new() { Timeout = TimeSpan.FromSeconds(2) } });
                    _trace.Enqueue($"acked {key}");
                }
                catch (Exception e) when (e is RpcException or OperationCanceledException)
                {
                    _trace.Enqueue($"unacked {key}");
                }
            }));
        }
        await Task.WhenAll(pending);
    }

    private static async Task IgnoreCancellationAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Polls a condition nothing notifies about (how far the load has come).</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
