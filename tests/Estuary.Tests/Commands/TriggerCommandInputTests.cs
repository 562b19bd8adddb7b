using System.Net;
using System.Net.Sockets;
using System.Text.Json;
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
    [InlineData("Argument 'input' of SampleWorkflow lacks the required member 'items' (SampleInput has: reference, items).", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"r\"}")]
    [InlineData("Argument 'input' of SampleWorkflow has an unknown member 'referense' (SampleInput has: reference, items).", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "{\"referense\":\"r\",\"items\":[]}")]
    [InlineData("Argument 'input' of SampleWorkflow must be a SampleInput (JSON), got null.", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "null")]
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

    [Theory]
    [InlineData("no-port", "Option '--address' must be host:port, got 'no-port'.")]
    [InlineData("http://localhost:7233", "Option '--address' must be host:port, without a scheme, got 'http://localhost:7233' (use localhost:7233).")]
    public async Task RunAsync_InvalidAddress_NamesTheOptionAndExitsTwo(string address, string expected)
    {
        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()],
            "trigger", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"r\",\"items\":[]}", "--address", address);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Equal($"error: {expected}{Environment.NewLine}", error);
    }

    [Fact]
    public async Task RunAsync_AddressWithSchemeInConfiguration_NamesTheKeyAndExitsTwo()
    {
        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()],
            new CommandLineSettings(new Dictionary<string, string?> { ["Temporal:Address"] = "http://localhost:7233" }),
            "trigger", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"r\",\"items\":[]}");

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Equal(
            $"error: Configuration key 'Temporal:Address' must be host:port, without a scheme, got 'http://localhost:7233' (use localhost:7233).{Environment.NewLine}",
            error);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("-x")]
    public async Task RunAsync_UnknownOption_IsReportedAsAnUnknownOption(string option)
    {
        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()],
            "trigger", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"r\",\"items\":[]}", option, "--address", Address);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Equal($"error: Unknown option '{option}'. (see 'estuary trigger --help'){Environment.NewLine}", error);
        Assert.Empty(output);
        Assert.False(_temporal.Pending());
    }

    [Fact]
    public async Task RunAsync_OptionLikeValueAfterDoubleDash_IsAnArgument()
    {
        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()],
            "trigger", "sample", "sample", "--address", Address, "--", "-1", "-name", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"r\",\"items\":[]}", "--wait");

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Equal($"error: Argument 'dryRun' of SampleWorkflow must be a bool, got '--wait'.{Environment.NewLine}", error);
    }

    [Fact]
    public async Task RunAsync_UsageErrorWithJson_PrintsAJsonDocument()
    {
        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()], "trigger", "sample", "sample", "1", "--json", "--address", Address);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Empty(error);
        using var document = JsonDocument.Parse(output);
        Assert.Equal("invalid", document.RootElement.GetProperty("status").GetString());
        Assert.StartsWith("SampleWorkflow takes 5 to 6 arguments", document.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(_temporal.Pending());
    }

    [Fact]
    public async Task RunAsync_ParseErrorWithJson_PrintsAJsonDocument()
    {
        var (exitCode, output, _) = await CommandLineRunner.RunAsync([new SampleDomain()], "trigger", "--json", "--bogus");

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        using var document = JsonDocument.Parse(output);
        Assert.Equal(("invalid", "Unknown option '--bogus'. (see 'estuary trigger --help')"),
            (document.RootElement.GetProperty("status").GetString(), document.RootElement.GetProperty("error").GetString()));
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

    [Fact]
    public async Task RunAsync_TemporalUnreachableWithJson_PrintsAFailedDocument()
    {
        var port = ((IPEndPoint)_temporal.LocalEndpoint).Port;
        _temporal.Stop();

        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()],
            "trigger", "sample", "sample", "1", "n", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"r\",\"items\":[]}", "--json", "--address", $"127.0.0.1:{port}");

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.Empty(error);
        using var document = JsonDocument.Parse(output);
        Assert.Equal("failed", document.RootElement.GetProperty("status").GetString());
        Assert.StartsWith($"Cannot reach Temporal at 127.0.0.1:{port}", document.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
