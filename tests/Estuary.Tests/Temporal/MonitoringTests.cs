using System.Diagnostics.Metrics;
using Estuary.Temporal.Monitoring;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Example;
using Estuary.Worker.Example.Activities;
using Estuary.Worker.Example.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace Estuary.Tests.Temporal;

[Collection(UsesPostgres.Name)]
public sealed class MonitoringTests(PostgresFixture postgres) : IAsyncLifetime, IDisposable
{
    private readonly RecordingLoggerProvider _logs = new();
    private readonly List<(string Instrument, Dictionary<string, object?> Tags)> _measurements = [];
    private readonly MeterListener _meterListener = new();

    // The meter is process-wide and other test classes run activities in parallel: only measurements made
    // inside this test's own activity runs are kept.
    private static readonly AsyncLocal<MonitoringTests?> Running = new();

    private DomainHarness _harness = null!;

    public async ValueTask InitializeAsync()
    {
        _meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == EstuaryTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meterListener.SetMeasurementEventCallback<long>((instrument, _, tags, _) => Record(instrument, tags));
        _meterListener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Record(instrument, tags));
        _meterListener.Start();
        _harness = await DomainHarness.CreateAsync(new ExampleDomain(), await postgres.DatabaseForAsync(GetType()), _logs);
    }

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    public void Dispose()
    {
        _meterListener.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task ExecuteActivity_ActivityFails_LogsStartAtDebugAndEndAsAWarningInItsWorkflowsScopeAndCountsTheFailure()
    {
        await Assert.ThrowsAsync<ApplicationFailureException>(
            () => RunMonitoredAsync<EntityDetails>(_harness.Info("get_entity_details", "wf-monitored", attempt: 3), 42));

        var entries = _logs.Entries.Where(e => e.Category == typeof(MonitoringInterceptor).FullName).ToList();
        Assert.Collection(
            entries,
            start => Assert.Equal((LogLevel.Debug, "Activity get_entity_details started (attempt 3)"), (start.Level, start.Message)),
            end =>
            {
                Assert.Equal(LogLevel.Warning, end.Level);
                Assert.StartsWith("Activity get_entity_details failed in ", end.Message, StringComparison.Ordinal);
            });
        Assert.All(entries, e =>
        {
            Assert.Equal("example", e.Scope["Domain"]);
            Assert.Equal("example", e.Scope["TaskQueue"]);
            Assert.Equal("wf-monitored", e.Scope["WorkflowId"]);
            Assert.Equal("run-wf-monitored", e.Scope["RunId"]);
            Assert.Equal("get_entity_details", e.Scope["ActivityType"]);
            Assert.Equal("2", e.Scope["ActivityId"]);
            Assert.Equal(3, e.Scope["Attempt"]);
        });

        var counted = Measurements("get_entity_details");
        Assert.Equal(["estuary.executions.started", "estuary.executions.failed", "estuary.executions.duration"], counted.Select(m => m.Instrument));
        Assert.All(counted, m => Assert.Equal(("activity", "example"), (m.Tags["estuary.kind"], m.Tags["estuary.domain"])));
        Assert.Equal(Outcome.Failed, counted[^1].Tags["estuary.outcome"]);
    }

    [Fact]
    public async Task ExecuteActivity_ActivityCompletes_LogsCompletedAndCountsTheCompletionWithItsDuration()
    {
        int id;
        await using (var scope = _harness.Services.CreateAsyncScope())
        {
            var db = (ExampleDbContext)_harness.DbContext(scope);
            var entity = new ExampleEntity { Name = "watched" };
            db.Entities.Add(entity);
            await db.SaveChangesAsync();
            id = entity.Id;
        }

        await RunMonitoredAsync<EntityDetails>(_harness.Info("get_entity_details", "wf-watched"), id);

        var counted = Measurements("get_entity_details");
        Assert.Equal(["estuary.executions.started", "estuary.executions.completed", "estuary.executions.duration"], counted.Select(m => m.Instrument));
        Assert.Equal(Outcome.Completed, counted[^1].Tags["estuary.outcome"]);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Information && e.Message.StartsWith("Activity get_entity_details completed in ", StringComparison.Ordinal));
    }

    private async Task<TResult> RunMonitoredAsync<TResult>(ActivityInfo info, params object?[] args)
    {
        Running.Value = this;
        return await _harness.RunActivityAsync<TResult>(info, args);
    }

    private void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Running.Value != this)
        {
            return;
        }

        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            values[key] = value;
        }

        lock (_measurements)
        {
            _measurements.Add((instrument.Name, values));
        }
    }

    private List<(string Instrument, Dictionary<string, object?> Tags)> Measurements(string type)
    {
        lock (_measurements)
        {
            return _measurements.Where(m => Equals(m.Tags["estuary.type"], type)).ToList();
        }
    }
}
