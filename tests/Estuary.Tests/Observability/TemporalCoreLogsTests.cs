using Estuary.DevServer;
using Estuary.Temporal.Monitoring;
using Estuary.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Temporalio.Client;

namespace Estuary.Tests.Observability;

/// <summary>The Temporal SDK core's own lines reach the worker host's loggers under <see cref="TemporalCoreLogs.Category"/>.</summary>
[Collection(UsesTemporal.Name)]
public sealed class TemporalCoreLogsTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task AddEstuaryWorker_CoreCategoryConfiguredAtInformation_TheCoresInformationLinesArriveThroughTheHostsLogger()
    {
        var taskQueue = $"core-logs-{Guid.NewGuid():N}";
        var logs = new RecordingLoggerProvider();
        await using var worker = await StartWorkerAsync(fixture.Address, taskQueue, logs, new() { [$"Logging:LogLevel:{TemporalCoreLogs.Category}"] = "Information" });

        var line = await logs.WaitForAsync(e => e.Category == TemporalCoreLogs.Category && e.Level == LogLevel.Information);

        Assert.StartsWith("[sdk_core::", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddEstuaryWorker_ServerStoppedUnderThePollingWorker_TheCoresWarningArrivesAndNoInformationLineByDefault()
    {
        var server = await TemporalDevServer.StartAsync(new DevServerOptions());
        var taskQueue = $"core-logs-lost-{Guid.NewGuid():N}";
        var logs = new RecordingLoggerProvider();
        await using var worker = await StartWorkerAsync(server.Address, taskQueue, logs, []);
        await using (server)
        {
            await worker.Services.GetRequiredService<ITemporalClient>().ExecuteWorkflowAsync(
                (ContinuingWorkflow wf) => wf.RunAsync(0), new($"core-logs-{Guid.NewGuid():N}", taskQueue));
        }

        var warning = await logs.WaitForAsync(e => e.Category == TemporalCoreLogs.Category && e.Level >= LogLevel.Warning);

        Assert.StartsWith("[sdk_core::", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Category == TemporalCoreLogs.Category && e.Level < LogLevel.Warning);
    }

    // The host's logging reads the configuration's Logging section, as a worker built by WebApplication.CreateBuilder does.
    private static Task<WorkerProcess> StartWorkerAsync(string address, string taskQueue, RecordingLoggerProvider logs, Dictionary<string, string?> settings)
    {
        settings["Estuary:Worker:TaskQueue"] = taskQueue;
        var host = WorkerHost.Build(
            address,
            settings,
            builder =>
            {
                builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
                builder.Logging.AddProvider(logs);
            },
            new TracedDomain());
        return WorkerProcess.StartAsync(host, taskQueue);
    }
}
