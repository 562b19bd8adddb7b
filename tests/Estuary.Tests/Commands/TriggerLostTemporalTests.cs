using Estuary.Cli.Commands;
using Estuary.DevServer;
using Temporalio.Client;

namespace Estuary.Tests.Commands;

/// <summary><c>trigger --wait</c> when its Temporal server stops: a server of its own, so the wait for the SDK to give up
/// runs beside the other tests.</summary>
public sealed class TriggerLostTemporalTests
{
    private static readonly string[] SampleArguments = TriggerCommandTests.SampleArguments;

    [Fact]
    public async Task Trigger_TemporalGoesAwayWhileWaiting_PrintsOneLineAndExitsOne()
    {
        var server = await TemporalDevServer.StartAsync(new DevServerOptions());
        var id = $"orphan-{Guid.NewGuid():N}";
        Task<(int ExitCode, string Output, string Error)> waiting;
        try
        {
            // No worker polls the sample queue: the workflow runs until the server goes.
            waiting = CommandLineRunner.RunAsync([new SampleDomain()], ["trigger", "sample", "sample", .. SampleArguments, "--id", id, "--wait", "--address", server.Address]);
            var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(server.Address));
            await Eventually.PollAsync(() => StartedAsync(client, id), started => started, "the trigger's start");
        }
        finally
        {
            await server.DisposeAsync();
        }

        var (exitCode, output, error) = await waiting;

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.StartsWith($"error: Lost Temporal at {server.Address} while waiting for SampleWorkflow (id {id}): ", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith("Started SampleWorkflow", output, StringComparison.Ordinal);
    }

    private static async Task<bool> StartedAsync(TemporalClient client, string id)
    {
        try
        {
            await client.GetWorkflowHandle(id).DescribeAsync();
            return true;
        }
        catch (Temporalio.Exceptions.RpcException e) when (e.Code == Temporalio.Exceptions.RpcException.StatusCode.NotFound)
        {
            return false;
        }
    }
}
