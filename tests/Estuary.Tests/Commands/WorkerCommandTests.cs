using System.Net;
using System.Net.Sockets;
using Estuary.Cli;
using Estuary.Cli.Commands;
using Estuary.DevServer;
using Estuary.Tests.Infrastructure;
using Temporalio.Client;

namespace Estuary.Tests.Commands;

/// <summary>
/// <c>estuary worker</c>: one line once it polls, Ctrl+C stops it, and a database or Temporal that stays unreachable is one
/// line and exit code 1 after <c>Estuary:Worker:StartupTimeout</c>.
/// </summary>
[Collection(UsesTemporal.Name)]
public sealed class WorkerCommandTests(EndToEndFixture fixture) : IDisposable
{
    // A worker that gives up sets the process's exit code, here the test host's.
    public void Dispose() => Environment.ExitCode = 0;

    [Fact]
    public async Task Worker_EverythingReachable_PrintsOnePollingLineServesWorkflowsAndStopsOnCtrlC()
    {
        var taskQueue = $"worker-cli-{Guid.NewGuid():N}";
        var database = await fixture.Postgres.CreateDatabaseAsync("worker_cli");
        using var output = new LineWriter();
        using var ctrlC = new CancellationTokenSource();
        var settings = Settings(new() { ["ConnectionStrings:example-db"] = database }, output, ctrlC.Token);

        var running = CommandLineRunner.RunAsync(
            [.. CliHost.Domains, new OrdersDomain()], settings, "worker", "--domains", "example,orders", "--task-queue", taskQueue, "--address", fixture.Address);
        var polling = await output.WaitForLineAsync(line => line.StartsWith("Polling", StringComparison.Ordinal));
        var order = await fixture.Client.StartWorkflowAsync(
            (OrderWorkflow wf) => wf.RunAsync(new OrderInput("o-worker")),
            new WorkflowOptions($"order-{Guid.NewGuid():N}", taskQueue) { RunTimeout = TimeSpan.FromMinutes(1) });
        await order.SignalAsync(wf => wf.CloseAsync("served"));
        var summary = await order.GetResultAsync();
        await ctrlC.CancelAsync();
        var (exitCode, all, error) = await running;

        Assert.Equal(
            $"Polling task queue '{taskQueue}' (domains example, orders) at Temporal {fixture.Address}, namespace 'default'. Ctrl+C stops the worker.",
            polling);
        Assert.Equal("served", summary.Note);
        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.Single(all.TrimEnd().Split(Environment.NewLine));
    }

    [Fact]
    public async Task Worker_InvalidActivityDefaults_OneLineNamingTheKeyAndExitsTwo()
    {
        var settings = Settings(new() { ["Estuary:Domains:orders:Activities:BackoffCoefficient"] = "0.5" });

        var (exitCode, _, error) = await CommandLineRunner.RunAsync([new OrdersDomain()], settings, "worker", "--address", fixture.Address);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Equal(
            $"error: Configuration key 'Estuary:Domains:orders:Activities:BackoffCoefficient' must be at least 1, got '0.5'.{Environment.NewLine}",
            error);
    }

    [Fact]
    public async Task Worker_PostgresUnreachable_OneLineNamingItAndExitsOne()
    {
        var port = ClosedPort();
        var settings = Settings(new()
        {
            ["ConnectionStrings:example-db"] = $"Host=127.0.0.1;Port={port};Database=nowhere;Username=estuary;Timeout=2",
            ["Estuary:Worker:StartupTimeout"] = "00:00:00.5",
        });

        var (exitCode, output, error) = await CommandLineRunner.RunAsync(CliHost.Domains, settings, "worker", "--domains", "example", "--address", fixture.Address);

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.StartsWith(
            $"error: PostgreSQL database 'nowhere' of domain example at tcp://127.0.0.1:{port} (ConnectionStrings:example-db) is unreachable after 0.5 s: ",
            error,
            StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Empty(output);
    }

    [Fact]
    public async Task Worker_TemporalUnreachable_OneLineNamingItAndExitsOne()
    {
        var address = $"127.0.0.1:{ClosedPort()}";
        var settings = Settings(new() { ["Estuary:Worker:StartupTimeout"] = "00:00:00.5" });

        var (exitCode, output, error) = await CommandLineRunner.RunAsync([new OrdersDomain()], settings, "worker", "--address", address);

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.StartsWith($"error: Temporal at {address} (namespace 'default') is unreachable after 0.5 s: ", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Empty(output);
    }

    [Fact]
    public async Task Worker_TemporalStartsAfterTheWorker_KeepsTryingThenPolls()
    {
        // The worker's first call reaches a socket that hangs up; Temporal itself then starts on that port.
        var early = new TcpListener(IPAddress.Loopback, 0);
        early.Start();
        var port = ((IPEndPoint)early.LocalEndpoint).Port;
        using var output = new LineWriter();
        using var ctrlC = new CancellationTokenSource();
        var settings = Settings(new() { ["Estuary:Worker:StartupTimeout"] = "00:10:00" }, output, ctrlC.Token);
        var taskQueue = $"late-temporal-{Guid.NewGuid():N}";

        var running = CommandLineRunner.RunAsync([new OrdersDomain()], settings, "worker", "--task-queue", taskQueue, "--address", $"127.0.0.1:{port}");
        using (await early.AcceptTcpClientAsync().WaitAsync(Eventually.Patience))
        {
            early.Stop();
        }

        await using var temporal = await TemporalDevServer.StartAsync(new DevServerOptions { Port = port });
        var polling = await output.WaitForLineAsync(line => line.StartsWith("Polling", StringComparison.Ordinal));
        var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(temporal.Address) { DataConverter = TestEncryption.DataConverter });
        var order = await client.StartWorkflowAsync(
            (OrderWorkflow wf) => wf.RunAsync(new OrderInput("o-late")),
            new WorkflowOptions($"order-{Guid.NewGuid():N}", taskQueue) { RunTimeout = TimeSpan.FromMinutes(1) });
        await order.SignalAsync(wf => wf.CloseAsync("served late"));
        var summary = await order.GetResultAsync();
        await ctrlC.CancelAsync();
        var (exitCode, _, error) = await running;

        Assert.StartsWith($"Polling task queue '{taskQueue}' (domains orders) at Temporal 127.0.0.1:{port}", polling, StringComparison.Ordinal);
        Assert.Equal("served late", summary.Note);
        Assert.True(exitCode == EstuaryCommandLine.Success, error);
    }

    [Fact]
    public async Task Worker_CtrlCAfterTemporalWentAway_Stops()
    {
        var temporal = await TemporalDevServer.StartAsync(new DevServerOptions());
        using var output = new LineWriter();
        using var ctrlC = new CancellationTokenSource();
        var settings = Settings([], output, ctrlC.Token);

        var running = CommandLineRunner.RunAsync([new OrdersDomain()], settings, "worker", "--task-queue", $"gone-{Guid.NewGuid():N}", "--address", temporal.Address);
        await output.WaitForLineAsync(line => line.StartsWith("Polling", StringComparison.Ordinal));
        await temporal.DisposeAsync();
        await ctrlC.CancelAsync();
        var (exitCode, _, error) = await running.WaitAsync(Eventually.Patience);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
    }

    [Fact]
    public async Task Worker_CtrlCWhileTemporalDoesNotAnswer_StopsWithoutWaitingOutTheStartupTimeout()
    {
        // A Temporal that accepts connections and never answers: the worker waits for it, far longer than the test runs.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        using var ctrlC = new CancellationTokenSource();
        var settings = Settings(new() { ["Estuary:Worker:StartupTimeout"] = "00:10:00" }, cancellation: ctrlC.Token);

        var running = CommandLineRunner.RunAsync([new OrdersDomain()], settings, "worker", "--address", $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");
        using var connection = await silent.AcceptTcpClientAsync().WaitAsync(Eventually.Patience);
        await ctrlC.CancelAsync();
        var (exitCode, output, error) = await running;

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.Empty(output);
    }

    private static CommandLineSettings Settings(Dictionary<string, string?> values, LineWriter? output = null, CancellationToken cancellation = default) =>
        new(values, Output: output, Cancellation: cancellation);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
