using Estuary.Cli;
using Estuary.Cli.Commands;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Encryption;
using Estuary.Tests.Commands;
using Estuary.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Temporalio.Exceptions;

namespace Estuary.Tests.Encryption;

/// <summary><c>estuary</c> with and without the workers' keys.</summary>
[Collection(UsesTemporal.Name)]
public sealed class CliEncryptionTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task WorkflowResult_WithTheKey_PrintsTheDecryptedResult()
    {
        var (workflowId, customer) = await CompletedWelcomeAsync();

        var (exitCode, output, error) = await CommandLineRunner.RunAsync([new CustomersDomain()], "workflow", "result", workflowId, "--address", fixture.Address);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.Contains(customer.Email, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkflowResult_WithoutAnyKey_SaysEncryptedNamingTheKey()
    {
        var (workflowId, customer) = await CompletedWelcomeAsync();

        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            [new CustomersDomain()], new CommandLineSettings(WithTestKey: false), "workflow", "result", workflowId, "--address", fixture.Address);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.Contains($"encrypted with key '{TestEncryption.KeyId}': no key is configured here", output, StringComparison.Ordinal);
        Assert.DoesNotContain(customer.Email, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_WithoutAnyKey_ExitsTwoNamingTheKeysAndStartsNothing()
    {
        var workflowId = $"welcome-{Guid.NewGuid():N}";

        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            [new CustomersDomain()],
            new CommandLineSettings(WithTestKey: false),
            "trigger", "customers", "welcome", """{"name":"Ada","email":"ada@example.com","paymentReference":"PAY-1"}""", "--id", workflowId, "--address", fixture.Address);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.StartsWith("error: Payloads are encrypted and no key is configured here: set 'Estuary:Encryption:ActiveKey'", error, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GetWorkflowHandle(workflowId).DescribeAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, missing.Code);
    }

    [Fact]
    public async Task WorkflowResult_KeyOnlyInTheAppHostsUserSecrets_PrintsTheDecryptedResult()
    {
        var (workflowId, customer) = await CompletedWelcomeAsync();
        using var appHost = new LocalAppHost(withKey: true);

        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            [new CustomersDomain()], appHost.Settings, "workflow", "result", workflowId, "--address", fixture.Address);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.Contains(customer.Email, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_KeyOnlyInTheAppHostsUserSecrets_StartsTheWorkflowEncryptedWithIt()
    {
        var workflowId = $"welcome-{Guid.NewGuid():N}";
        using var appHost = new LocalAppHost(withKey: true);

        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            [new CustomersDomain()],
            appHost.Settings,
            "trigger", "customers", "welcome", """{"name":"Ada","email":"ada@example.com","paymentReference":"PAY-1"}""", "--id", workflowId, "--address", fixture.Address);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        var started = await fixture.Client.GetWorkflowHandle(workflowId).FetchHistoryAsync();
        var input = started.Events.First().WorkflowExecutionStartedEventAttributes.Input.Payloads_[0];
        Assert.Equal(TestEncryption.KeyId, input.Metadata[EncryptionPayloadCodec.KeyIdMetadata].ToStringUtf8());
        await fixture.Client.GetWorkflowHandle(workflowId).TerminateAsync();
    }

    [Fact]
    public async Task Trigger_AppHostsUserSecretsWithoutTheKey_ExitsTwoNamingTheKeysAndStartsNothing()
    {
        var workflowId = $"welcome-{Guid.NewGuid():N}";
        using var appHost = new LocalAppHost(withKey: false);

        var (exitCode, _, error) = await CommandLineRunner.RunAsync(
            [new CustomersDomain()],
            appHost.Settings,
            "trigger", "customers", "welcome", """{"name":"Ada","email":"ada@example.com","paymentReference":"PAY-1"}""", "--id", workflowId, "--address", fixture.Address);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.StartsWith("error: Payloads are encrypted and no key is configured here", error, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GetWorkflowHandle(workflowId).DescribeAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, missing.Code);
    }

    private async Task<(string WorkflowId, Customer Customer)> CompletedWelcomeAsync()
    {
        var taskQueue = $"customers-{Guid.NewGuid():N}";
        using var worker = WorkerHost.Build(fixture.Address, new Dictionary<string, string?> { ["Estuary:Worker:TaskQueue"] = taskQueue }, configure: null, new CustomersDomain());
        await worker.StartAsync();
        var id = Guid.NewGuid().ToString("N")[..12];
        var customer = new Customer($"Grace {id}", $"grace.{id}@example.com", $"PAY-{id}");
        var handle = await fixture.Client.StartWorkflowAsync((WelcomeWorkflow wf) => wf.RunAsync(customer), new($"welcome-{id}", taskQueue));
        await handle.SignalAsync(wf => wf.ConfirmAsync("read back"));
        await handle.GetResultAsync();
        await worker.StopAsync();
        return (handle.Id, customer);
    }

    // A running AppHost's endpoints file naming its user secrets, which hold (or not) the workers' key as the parameter
    // payload-key-<id>; the command line's configuration is what CliHost builds from them, no key given by hand.
    private sealed class LocalAppHost : IDisposable
    {
        private const string SecretsId = "estuary-apphost-test";
        private readonly string _directory = Directory.CreateTempSubdirectory("estuary-apphost-").FullName;

        public LocalAppHost(bool withKey)
        {
            var endpoints = Path.Combine(_directory, "local.json");
            LocalEndpoints.OfCurrentProcess(new LocalTemporal("localhost:1", "default", null), null, null,
                new LocalEncryption(true, SecretsId, TestEncryption.KeyId, [])).Write(endpoints);
            var secrets = Path.Combine(_directory, "secrets.json");
            File.WriteAllText(secrets, withKey
                ? $$"""{ "Parameters": { "{{LocalEncryption.KeyParameterPrefix}}{{TestEncryption.KeyId}}": "{{TestEncryption.Key}}" } }"""
                : "{}");
            var configuration = CliHost.BuildConfiguration(endpoints, id => id == SecretsId ? secrets : Path.Combine(_directory, "none.json"));
            Settings = new CommandLineSettings(
                configuration.AsEnumerable().Where(kv => kv.Key.StartsWith(EncryptionOptions.SectionName, StringComparison.Ordinal)).ToDictionary(),
                WithTestKey: false);
        }

        public CommandLineSettings Settings { get; }

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
