using System.Net;
using System.Net.Sockets;
using Estuary.Cli.Commands;

namespace Estuary.Tests.Commands;

/// <summary>
/// Bad input to <c>trigger</c>: one clear line on stderr, exit code 2, and Temporal never contacted. A TCP listener
/// stands in for the Temporal address so the tests can see that no connection was even attempted.
/// </summary>
public sealed class TriggerCommandInputTests : IDisposable
{
    private readonly TcpListener _temporal = new(IPAddress.Loopback, 0);

    public TriggerCommandInputTests() => _temporal.Start();

    private string Address => $"127.0.0.1:{((IPEndPoint)_temporal.LocalEndpoint).Port}";

    public void Dispose() => _temporal.Dispose();

    [Theory]
    [InlineData("Unknown domain 'nope' (known: sample).", "nope", "sample")]
    [InlineData("Domain 'sample' has no workflow 'other' (workflows: SampleWorkflow).", "sample", "other")]
    [InlineData("SampleWorkflow takes 5 to 6 arguments (count: int, name: string, when: DateTimeOffset, priority: Priority, input: SampleInput (JSON), dryRun: bool?), got 1.", "sample", "sample", "1")]
    [InlineData("Argument 'count' of SampleWorkflow must be an int, got 'abc'.", "sample", "sample", "abc", "n", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"r\",\"items\":[]}")]
    [InlineData("Argument 'when' of SampleWorkflow must be a DateTimeOffset, got 'yesterday'.", "sample", "sample", "1", "n", "yesterday", "low", "{\"reference\":\"r\",\"items\":[]}")]
    [InlineData("Argument 'priority' of SampleWorkflow must be a Priority, got 'urgent'.", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "urgent", "{\"reference\":\"r\",\"items\":[]}")]
    [InlineData("Argument 'dryRun' of SampleWorkflow must be a bool, got 'maybe'.", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"r\",\"items\":[]}", "maybe")]
    public async Task RunAsync_InvalidArguments_PrintsOneLineExitsTwoAndContactsNothing(string expected, params string[] arguments)
    {
        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()], ["trigger", .. arguments, "--address", Address]);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Equal($"error: {expected}{Environment.NewLine}", error);
        Assert.Empty(output);
        Assert.False(_temporal.Pending(), "Temporal must not be contacted when the arguments are invalid.");
    }

    [Fact]
    public async Task RunAsync_RecordArgumentNotJson_NamesArgumentAndExitsTwo()
    {
        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()],
            "trigger", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "{not json", "--address", Address);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.StartsWith("error: Argument 'input' of SampleWorkflow must be SampleInput (JSON): ", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(_temporal.Pending());
    }

    [Fact]
    public async Task RunAsync_MissingWorkflowArgument_PrintsParseErrorAndExitsTwo()
    {
        var (exitCode, _, error) = await CommandLineRunner.RunAsync([new SampleDomain()], "trigger", "sample");

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("workflow", error, StringComparison.Ordinal);
        Assert.Contains("estuary trigger --help", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_InvalidAddress_NamesConfigurationKeyAndExitsTwo()
    {
        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()],
            "trigger", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"r\",\"items\":[]}", "--address", "no-port");

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Equal($"error: Configuration key 'Temporal:Address' must be host:port, got 'no-port'.{Environment.NewLine}", error);
    }

    [Fact]
    public async Task RunAsync_TemporalUnreachable_NamesAddressAndExitsOne()
    {
        var port = ((IPEndPoint)_temporal.LocalEndpoint).Port;
        _temporal.Stop();

        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()],
            "trigger", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"r\",\"items\":[]}", "--address", $"127.0.0.1:{port}");

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.StartsWith($"error: Cannot reach Temporal at 127.0.0.1:{port} (namespace 'default'): ", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Empty(output);
    }
}
