using System.Diagnostics;
using Estuary.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace Estuary.Tests.Observability;

/// <summary>The OTLP receiver the tests and the monitoring bench share, fed by the service defaults' real OTLP exporter.</summary>
public sealed class OtlpReceiverTests
{
    [Fact]
    public async Task ItemsByScope_ServiceDefaultsExportSpansAndLogs_CountsEachScopesItems()
    {
        var scope = $"Estuary.Tests.Otlp{Guid.NewGuid():N}";
        await using var receiver = await OtlpReceiver.StartAsync(keepExports: false, countItems: true);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = scope });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        });
        builder.ConfigureOpenTelemetry();
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);

        // The service defaults trace the application's own ActivitySource, named after the application.
        using (var source = new ActivitySource(scope))
        {
            for (var i = 0; i < 3; i++)
            {
                using var span = source.StartActivity($"span {i}");
            }
        }

        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(scope);
        logger.LogInformation("one");
        logger.LogWarning("two");
        host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        host.Services.GetRequiredService<LoggerProvider>().ForceFlush();

        Assert.Equal(3, receiver.ItemsByScope(OtlpSignal.Traces).GetValueOrDefault(scope));
        Assert.Equal(2, receiver.ItemsByScope(OtlpSignal.Logs).GetValueOrDefault(scope));
        Assert.True(receiver.BytesOf(OtlpSignal.Traces) > 0 && receiver.BytesOf(OtlpSignal.Logs) > 0);
        await Assert.ThrowsAsync<InvalidOperationException>(() => receiver.WaitForAsync(_ => true, TestContext.Current.CancellationToken));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }
}
