using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Estuary.Tests.Infrastructure;

namespace Estuary.Tests.Temporal;

/// <summary>
/// A domain worker project run as its own process, as the AppHost runs it: when what it needs stays unreachable it says
/// so in a log line and exits with code 1, without an unhandled exception.
/// </summary>
[Collection(UsesPostgres.Name)]
public sealed class WorkerProcessTests(PostgresFixture postgres)
{
    [Fact]
    public async Task ExampleWorker_PostgresUnreachable_LogsOneLineNamingItAndExitsOne()
    {
        var port = UnusedPort();

        var (exitCode, output) = await RunExampleWorkerAsync(
            $"Host=127.0.0.1;Port={port};Database=nowhere;Username=estuary;Timeout=2", $"127.0.0.1:{UnusedPort()}");

        Assert.Equal(1, exitCode);
        Assert.Contains(
            $"PostgreSQL database 'nowhere' of domain example at tcp://127.0.0.1:{port} (ConnectionStrings:example-db) is unreachable after 0.5 s: ",
            output,
            StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExampleWorker_TemporalUnreachable_LogsOneLineNamingItAndExitsOne()
    {
        var database = await postgres.CreateDatabaseAsync("worker_process");
        var address = $"127.0.0.1:{UnusedPort()}";

        var (exitCode, output) = await RunExampleWorkerAsync(database, address);

        Assert.Equal(1, exitCode);
        Assert.Contains($"Temporal at {address} (namespace 'default') is unreachable after 0.5 s: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExampleWorker_OnlyTemporalsOwnAddressVariable_LooksForTemporalThere()
    {
        var database = await postgres.CreateDatabaseAsync("worker_process_env");
        var address = $"127.0.0.1:{UnusedPort()}";

        var (exitCode, output) = await RunExampleWorkerAsync(database, temporal: null, new() { ["TEMPORAL_ADDRESS"] = address, ["TEMPORAL_NAMESPACE"] = "from-env" });

        Assert.Equal(1, exitCode);
        Assert.Contains($"Temporal at {address} (namespace 'from-env') is unreachable after 0.5 s: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExampleWorker_EncryptionOnWithoutKey_ExitsNamingTheMissingKey()
    {
        var database = await postgres.CreateDatabaseAsync("worker_process_keys");

        var (exitCode, output) = await RunExampleWorkerAsync(
            database, $"127.0.0.1:{UnusedPort()}", new() { ["Estuary__Encryption__ActiveKey"] = "", ["Estuary__Encryption__Keys__test"] = "" });

        Assert.Equal(1, exitCode);
        Assert.Contains("Configuration key 'Estuary:Encryption:ActiveKey' is not set", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExampleWorker_MissingPayloadKey_OneLineOnStderrNamingTheKeyAndExitsOne()
    {
        var database = await postgres.CreateDatabaseAsync("worker_process_nokey");

        var (exitCode, _, error) = await RunExampleWorkerProcessAsync(
            database, $"127.0.0.1:{UnusedPort()}", new() { ["Estuary__Encryption__ActiveKey"] = "", ["Estuary__Encryption__Keys__test"] = "" });

        Assert.Equal(1, exitCode);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("'Estuary:Encryption:ActiveKey'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExampleWorker_InvalidOptionValidatedAtStart_OneLineOnStderrNamingTheKeyAndExitsOne()
    {
        var database = await postgres.CreateDatabaseAsync("worker_process_options");

        var (exitCode, output, error) = await RunExampleWorkerProcessAsync(
            database, $"127.0.0.1:{UnusedPort()}", new() { ["Estuary__Domains__example__Activities__StartToCloseTimeout"] = "-00:00:01" });

        Assert.Equal(1, exitCode);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("'Estuary:Domains:example:Activities:StartToCloseTimeout' must be positive", line, StringComparison.Ordinal);
        Assert.Contains("'Estuary:Domains:example:Activities:StartToCloseTimeout' must be positive", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunExampleWorkerAsync(
        string database, string? temporal, Dictionary<string, string>? environment = null)
    {
        var (exitCode, output, error) = await RunExampleWorkerProcessAsync(database, temporal, environment);
        return (exitCode, output + error);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunExampleWorkerProcessAsync(
        string database, string? temporal, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Estuary.Worker.Example.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ConnectionStrings__example-db"] = database;
        foreach (var (key, value) in TestEncryption.Settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        // The machine's own Temporal settings never steer the worker here.
        foreach (var name in new[] { "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE", "Temporal__Address", "ConnectionStrings__temporal" })
        {
            start.Environment.Remove(name);
        }

        if (temporal is not null)
        {
            start.Environment["ConnectionStrings__temporal"] = temporal;
        }

        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        start.Environment["Estuary__Worker__StartupTimeout"] = "00:00:00.5";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(Eventually.Patience);
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The worker did not exit within {Eventually.Patience.TotalSeconds:0} s: {await output}{await error}");
        }

        return (process.ExitCode, await output, await error);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
