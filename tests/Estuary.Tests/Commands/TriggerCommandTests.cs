using System.Text.Json;
using Estuary.Cli.Commands;
using Estuary.Temporal.Configuration;
using Estuary.Tests.Infrastructure;
using Temporalio.Common.EnvConfig;

namespace Estuary.Tests.Commands;

/// <summary><c>trigger</c> against a Temporal server: what it prints and where it finds Temporal.</summary>
[Collection(UsesTemporal.Name)]
public sealed class TriggerCommandTests(EndToEndFixture fixture)
{
    internal static readonly string[] SampleArguments = ["1", "n", "2026-01-01T00:00:00Z", "low", "{\"reference\":\"a+b <c>\",\"items\":[]}"];

    [Fact]
    public async Task Trigger_Json_EscapesOnlyWhatJsonRequires()
    {
        var id = $"plus+<{Guid.NewGuid():N}>";

        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()], ["trigger", "sample", "sample", .. SampleArguments, "--id", id, "--json", "--address", fixture.Address]);
        await fixture.Client.GetWorkflowHandle(id).TerminateAsync("test done");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.Contains($"\"workflowId\": \"{id}\"", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", output, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(output);
        Assert.Equal("started", document.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Trigger_NoAddressGiven_UsesTemporalAddressFromTemporalsEnvironment()
    {
        var id = $"env-{Guid.NewGuid():N}";
        var environment = new TemporalConnectionSources(new ClientEnvConfig.ProfileLoadOptions
        {
            DisableFile = true,
            OverrideEnvVars = new Dictionary<string, string> { ["TEMPORAL_ADDRESS"] = fixture.Address, ["TEMPORAL_NAMESPACE"] = "default" },
        });

        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            [new SampleDomain()], new CommandLineSettings(TemporalSources: environment), ["trigger", "sample", "sample", .. SampleArguments, "--id", id]);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        var description = await fixture.Client.GetWorkflowHandle(id).DescribeAsync();
        await fixture.Client.GetWorkflowHandle(id).TerminateAsync("test done");
        Assert.Equal("SampleWorkflow", description.WorkflowType);
    }

    [Fact]
    public async Task Trigger_EstuaryKeyAndTemporalAddressBothSet_EstuaryKeyWins()
    {
        var id = $"precedence-{Guid.NewGuid():N}";
        var environment = new TemporalConnectionSources(new ClientEnvConfig.ProfileLoadOptions
        {
            DisableFile = true,
            OverrideEnvVars = new Dictionary<string, string> { ["TEMPORAL_ADDRESS"] = "127.0.0.1:1" },
        });
        var settings = new CommandLineSettings(new Dictionary<string, string?> { ["Temporal:Address"] = fixture.Address }, environment);

        var (exitCode, _, error) = await CommandLineRunner.RunAsync([new SampleDomain()], settings, ["trigger", "sample", "sample", .. SampleArguments, "--id", id]);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        await fixture.Client.GetWorkflowHandle(id).TerminateAsync("test done");
    }
}
