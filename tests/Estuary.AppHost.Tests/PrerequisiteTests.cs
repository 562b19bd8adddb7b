using System.Net;
using System.Net.Sockets;

namespace Estuary.AppHost.Tests;

/// <summary>What a user sees when the machine lacks something the AppHost needs.</summary>
public sealed class PrerequisiteTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("estuary-prerequisite-").FullName;

    [Fact]
    public async Task Run_LocalPostgresWithoutBinaries_PrintsOneLineSayingWhatToInstallAndExitsOne()
    {
        var noBinaries = Directory.CreateDirectory(Path.Combine(_directory, "bin")).FullName;
        var state = Path.Combine(_directory, "state");

        var (exitCode, output, error) = await AppHostRun.RunAsync(
            "Postgres:Mode=Local", $"Postgres:BinDirectory={noBinaries}", "Temporal:Mode=Embedded", $"Estuary:StateDirectory={state}");

        Assert.True(exitCode == 1, $"exit code {exitCode}: {output}{error}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains(noBinaries, line, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y postgresql", line, StringComparison.Ordinal);

        // Nothing was started nor created: no cluster, no dashboard.
        Assert.False(Directory.Exists(state), "the AppHost created its state directory");
        Assert.DoesNotContain("Distributed application started", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DashboardPortTaken_PrintsOneLineNamingTheHolderAndExitsOne()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var state = Path.Combine(_directory, "state");

        var (exitCode, output, error) = await AppHostRun.RunAsync(
        [
            "Postgres:Mode=Local", "Temporal:Mode=Embedded", $"Temporal:Port={AppHostFixture.FreePortWithFreeUiPort()}", $"Estuary:StateDirectory={state}",
            .. AppHostRun.FreeDashboardUrls(dashboardPort: port),
        ]);

        // The holder is this test process.
        Assert.True(exitCode == 1, $"exit code {exitCode}: {output}{error}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith($"Port {port} (the Aspire dashboard) is held by ", line, StringComparison.Ordinal);
        Assert.Contains($"(pid {Environment.ProcessId}", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Distributed application starting", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(state), "the AppHost created its state directory");
    }

    [Fact]
    public async Task Run_TemporalPortNotANumber_PrintsOneLineNamingTheKeyAndExitsOne()
    {
        var (exitCode, output, error) = await AppHostRun.RunAsync("Postgres:Mode=Local", "Temporal:Mode=Embedded", "Temporal:Port=72330");

        Assert.True(exitCode == 1, $"exit code {exitCode}: {output}{error}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal("Configuration key 'Temporal:Port' must be a port number from 1 to 64535 (the UI listens on it + 1000), got '72330'.", line);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
