using Estuary.Testing;
using Temporalio.Client;

namespace Estuary.Tests.Temporal;

/// <summary>The DevServer executable as a child process, as the benchmarks run it beside the workers they measure.</summary>
public sealed class DevServerProcessTests
{
    [Fact]
    public async Task StartAsync_InMemory_ServesClientsFromAProcessOfItsOwn()
    {
        using var server = await DevServerProcess.StartAsync();
        var client = await TemporalClient.ConnectAsync(new(server.Address));

        var count = await client.CountWorkflowsAsync(string.Empty);

        Assert.Equal(0, count.Count);
        Assert.NotEqual(Environment.ProcessId, server.ProcessId);
        Assert.True(server.CpuTime() > TimeSpan.Zero);
    }

    [Fact]
    public async Task StartAsync_ArgumentTheServerRejects_FailsWithTheServersExitCodeAndMessage()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => DevServerProcess.StartAsync("--log-format", "bogus"));

        Assert.Contains("exited with code 2", failure.Message, StringComparison.Ordinal);
        Assert.Contains("invalid value for --log-format: bogus", failure.Message, StringComparison.Ordinal);
    }
}
