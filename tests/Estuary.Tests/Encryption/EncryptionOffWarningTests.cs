using Estuary.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Estuary.Tests.Encryption;

/// <summary>A worker with encryption turned off says so once at start when Temporal is not on this machine.</summary>
public sealed class EncryptionOffWarningTests : IDisposable
{
    // A start that gives up sets the process's exit code, which is the test host's here.
    public void Dispose() => Environment.ExitCode = 0;

    [Theory]
    [InlineData("192.0.2.1:7233", 1)]
    [InlineData("127.0.0.1:1", 0)]
    public async Task Start_EncryptionOff_OneWarningOnlyForARemoteTemporal(string address, int warnings)
    {
        var logs = new RecordingLoggerProvider();
        var settings = new Dictionary<string, string?>
        {
            ["Estuary:Encryption:Enabled"] = "false",
            ["Estuary:Worker:StartupTimeout"] = "00:00:00.5",
            ["Estuary:Worker:TaskQueue"] = $"unreached-{Guid.NewGuid():N}",
        };
        using var host = WorkerHost.Build(address, settings, builder => builder.Logging.AddProvider(logs), new CustomersDomain());

        // Temporal never answers there: the start gives up after the timeout and stops the host.
        await host.StartAsync();
        await host.WaitForShutdownAsync().WaitAsync(Eventually.Patience);

        var encryptionOff = logs.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.StartsWith("Payload encryption is off", StringComparison.Ordinal)).ToList();
        Assert.Equal(warnings, encryptionOff.Count);
        Assert.All(encryptionOff, e => Assert.Contains($"Temporal at {address} is not on this machine", e.Message, StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Critical && e.Message.Contains($"Temporal at {address}", StringComparison.Ordinal));
    }
}
