using Estuary.Cli.Commands;
using Estuary.Tests.Commands;
using Estuary.Tests.Infrastructure;
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
}
