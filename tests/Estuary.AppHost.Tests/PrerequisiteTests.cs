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

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
