using System.Diagnostics;
using Estuary.Tests.Infrastructure;
using Estuary.Tests.Observability;
using Estuary.Worker.Example;
using Estuary.Worker.Example.Workflows;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using Temporalio.Client;

namespace Estuary.Tests.Encryption;

/// <summary>What a worker exports (logs and spans, as the Aspire dashboard receives them) holds none of its secrets.</summary>
[Collection(UsesTemporal.Name)]
public sealed class SecretsHygieneTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task RunAsync_ExampleWorkflowWithEverythingLogged_NoKeyNoPasswordInExportedLogsOrSpans()
    {
        var capture = new TelemetryCapture();
        var password = $"pw-{Guid.NewGuid():N}";
        var taskQueue = $"hygiene-{Guid.NewGuid():N}";
        var database = await fixture.Postgres.CreateDatabaseAsync("hygiene");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:example-db"] = $"{database};Password={password}",
            ["Estuary:Worker:TaskQueue"] = taskQueue,
        };
        using var host = WorkerHost.Build(fixture.Address, settings, builder =>
        {
            capture.AddTo(builder);
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddFilter<OpenTelemetryLoggerProvider>(null, LogLevel.Trace);
        }, new ExampleDomain());
        await host.StartAsync();

        var result = await fixture.Client.ExecuteWorkflowAsync(
            (ExampleWorkflow wf) => wf.RunAsync(1), new($"hygiene-{Guid.NewGuid():N}", taskQueue));
        await host.StopAsync();

        Assert.NotNull(result);
        Assert.NotEmpty(capture.Logs);
        Assert.NotEmpty(capture.Spans);
        foreach (var secret in new[] { TestEncryption.Key, password })
        {
            Assert.DoesNotContain(capture.Logs, log => Mentions(log, secret));
            Assert.DoesNotContain(capture.Spans, span => Mentions(span, secret));
        }
    }

    private static bool Mentions(CapturedLog log, string secret) =>
        log.Message.Contains(secret, StringComparison.Ordinal)
        || log.Scopes.Values.Any(v => v?.ToString()?.Contains(secret, StringComparison.Ordinal) == true);

    private static bool Mentions(Activity span, string secret) =>
        span.DisplayName.Contains(secret, StringComparison.Ordinal)
        || span.StatusDescription?.Contains(secret, StringComparison.Ordinal) == true
        || span.TagObjects.Any(t => t.Value?.ToString()?.Contains(secret, StringComparison.Ordinal) == true)
        || span.Events.Any(e => e.Name.Contains(secret, StringComparison.Ordinal)
            || e.Tags.Any(t => t.Value?.ToString()?.Contains(secret, StringComparison.Ordinal) == true));
}
