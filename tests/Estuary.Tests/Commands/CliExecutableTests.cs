using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Estuary.Tests.Commands;

/// <summary>The built <c>estuary</c> executable at the path the README names, run as a user runs it.</summary>
public sealed class CliExecutableTests
{
    [Fact]
    public async Task Estuary_DocumentedPath_ListsTheDomains()
    {
        var (exitCode, output, error) = await RunAsync(new Dictionary<string, string?>(), "list");

        Assert.True(exitCode == 0, error);
        Assert.Contains("example: ", output, StringComparison.Ordinal);
        Assert.Contains("    ExampleWorkflow (trigger example example) (entityId: int)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Estuary_TemporalAddressVariable_IsWhereItLooksForTemporal()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();

        var (exitCode, _, error) = await RunAsync(new Dictionary<string, string?> { ["TEMPORAL_ADDRESS"] = address }, "workflow", "list");

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"error: Cannot reach Temporal at {address} (namespace 'default'): ", error, StringComparison.Ordinal);
    }

    // src/Estuary.Cli/bin/Debug/net10.0/estuary, as the README says, built with the tests.
    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(Dictionary<string, string?> environment, params string[] args)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        if (configuration != "Debug")
        {
            Assert.Skip($"The README names the Debug build; these tests run from the {configuration} build.");
        }

        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Estuary.sln")))
        {
            root = root.Parent ?? throw new InvalidOperationException("The repository root (Estuary.sln) is not above the tests.");
        }

        var start = new ProcessStartInfo(Path.Combine(root.FullName, "src/Estuary.Cli/bin/Debug/net10.0/estuary"), args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root.FullName,
        };
        foreach (var name in new[] { "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_PROFILE", "Temporal__Address", "ConnectionStrings__temporal" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Eventually.Patience);
        return (process.ExitCode, await output, await error);
    }
}
