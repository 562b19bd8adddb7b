using Estuary.Temporal.Monitoring;
using Estuary.Worker.Example;
using Estuary.Worker.Example.Data;
using Estuary.Worker.Example.Workflows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Temporalio.Client;
using Temporalio.Extensions.Hosting;
using Temporalio.Runtime;

namespace Estuary.Monitoring.Bench;

/// <summary>
/// The real-work scenario: the Example domain's worker as a worker process hosts it (<c>AddEstuaryWorker</c>, its
/// database through Aspire's Npgsql EF Core component on a real PostgreSQL, pooled), each round running
/// <see cref="ExampleWorkflow"/> for fresh entities: <c>get_entity_details</c> reads the row, <c>process_entity</c>
/// updates it in a transaction with its idempotency record. With monitoring on the host also has the service defaults'
/// OpenTelemetry exporting to the sink: everything a worker process runs. With it off the same host has no
/// OpenTelemetry and its worker none of monitoring's parts: no tracing interceptor on the client, no monitoring
/// interceptor, the SDK's metrics off. With some parts on (<see cref="Monitors"/>) the host has the pipeline and only
/// those parts: the tracing interceptor (and with it the SQL's events or spans), the monitoring interceptor's logs and
/// metrics, the SDK's metrics bridged.
/// </summary>
internal sealed class ExampleRun : IModeRun
{
    private const int ActivitiesPerWorkflow = 2;

    private readonly IHost _host;
    private readonly bool _monitored;
    private readonly string _taskQueue;
    private readonly int _workflows;
    private int _rounds;

    private ExampleRun(IHost host, bool monitored, string taskQueue, int workflows)
    {
        _host = host;
        _monitored = monitored;
        _taskQueue = taskQueue;
        _workflows = workflows;
    }

    /// <summary>Starts a worker host on its own database and task queue, with the given parts of monitoring on.</summary>
    /// <param name="address">The Temporal server.</param>
    /// <param name="monitors">The parts of monitoring on (<see cref="Monitors.Control"/> is off).</param>
    /// <param name="database">A database of its own (pooled connection string).</param>
    /// <param name="sink">The receiver's endpoint, where an on host exports.</param>
    /// <param name="workflows">Workflows started at once in a round.</param>
    /// <returns>The started run, migrations applied.</returns>
    public static async Task<ExampleRun> StartAsync(string address, Monitors monitors, string database, string sink, int workflows)
    {
        var monitored = monitors is not (Monitors.None or Monitors.Control);
        var taskQueue = $"bench-example-{monitors}-{Guid.NewGuid():N}";
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "monitoring-bench" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Temporal:Address"] = address,
            ["ConnectionStrings:example-db"] = database,
            ["Estuary:Worker:TaskQueue"] = taskQueue,

            // The two modes differ in monitoring only; the encryption bench measures what payload encryption costs.
            ["Estuary:Encryption:Enabled"] = "false",
        });
        if (monitored)
        {
            builder.Configuration.AddInMemoryCollection(MonitoringPipeline.Settings(sink));
            builder.Configuration[SqlTelemetrySetting.ConfigurationKey] = monitors.HasFlag(Monitors.SqlSpans) ? nameof(SqlTelemetry.Spans) : null;
            builder.Configuration[SdkMetricsSetting.ConfigurationKey] = monitors.HasFlag(Monitors.SdkMetricsOtlp) ? nameof(SdkMetricsExport.Otlp) : null;
            MonitoringPipeline.AddTo(builder);

            // Isolation, not a setting of the pipeline measured: a monitored host's listeners see the whole process, so
            // the SQL of an off host's rounds (spans with no parent there) would be traced and exported here too.
            // Here no span of an on round is a root of Npgsql's: they all run inside RunActivity.
            builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.SetSampler(new ParentBasedSampler(new NoSqlRootSampler())));
        }
        else
        {
            // Aspire's Npgsql component would otherwise build a tracer and a meter provider of its own for the SQL.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Aspire:Npgsql:EntityFrameworkCore:PostgreSQL:DisableTracing"] = "true",
                ["Aspire:Npgsql:EntityFrameworkCore:PostgreSQL:DisableMetrics"] = "true",
            });
        }

        if (!monitors.HasFlag(Monitors.SdkMetrics) && !monitors.HasFlag(Monitors.SdkMetricsOtlp))
        {
            // Registered first, so AddEstuaryWorker keeps it: a runtime without metrics.
            builder.Services.AddSingleton(new TemporalRuntime(new TemporalRuntimeOptions()));
        }

        builder.AddEstuaryWorker(new ExampleDomain());
        if (!monitors.HasFlag(Monitors.Tracing))
        {
            builder.Services.PostConfigure<TemporalClientConnectOptions>(client => client.Interceptors = null);
        }

        if (!monitors.HasFlag(Monitors.LogsAndMetrics))
        {
            builder.Services.PostConfigureAll<TemporalWorkerServiceOptions>(worker =>
                worker.Interceptors = [.. worker.Interceptors?.Where(i => i is not MonitoringInterceptor) ?? []]);
        }

        var host = builder.Build();
        await host.StartAsync();
        return new ExampleRun(host, monitored, taskQueue, workflows);
    }

    /// <summary>Runs a round: creates one entity per workflow (not timed), then starts every workflow at once and waits
    /// for each result and, with monitoring on, for the export of the round's spans and log records; timed from the first
    /// start to that end.</summary>
    /// <returns>The round's figures, per activity.</returns>
    public async Task<RoundResult> RunAsync()
    {
        var round = ++_rounds;
        var entities = await CreateEntitiesAsync();
        var client = _host.Services.GetRequiredService<ITemporalClient>();
        return await RoundResult.MeasureAsync(async () =>
        {
            var handles = await Task.WhenAll(entities.Select(id =>
                client.StartWorkflowAsync((ExampleWorkflow wf) => wf.RunAsync(id), new($"{_taskQueue}-{round}-{id}", _taskQueue))));
            var results = await Task.WhenAll(handles.Select(h => h.GetResultAsync()));
            if (results.Any(r => r.Status != "completed" || !r.Result.Success))
            {
                throw new InvalidOperationException("An example workflow did not complete its entity.");
            }

            if (_monitored)
            {
                await MonitoringPipeline.FlushAsync(_host.Services);
            }

            return results.Length * ActivitiesPerWorkflow;
        });
    }

    /// <summary>Gets the SQL commands of off hosts kept from the monitored host's tracing.</summary>
    public static long SqlRootsDropped => NoSqlRootSampler.Dropped;

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    private async Task<List<int>> CreateEntitiesAsync()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ExampleDbContext>();
        var created = Enumerable.Range(0, _workflows).Select(i => new ExampleEntity { Name = $"bench {i}", CreatedAt = DateTimeOffset.UtcNow }).ToList();
        db.Entities.AddRange(created);
        await db.SaveChangesAsync();
        return [.. created.Select(e => e.Id)];
    }

    /// <summary>Samples every root span except those of SQL commands (Npgsql names them <c>postgresql</c>).</summary>
    private sealed class NoSqlRootSampler : Sampler
    {
        private static long _dropped;

        /// <summary>Gets the SQL spans dropped so far: the off hosts' commands, which the monitored host's listener sees.</summary>
        public static long Dropped => Interlocked.Read(ref _dropped);

        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
        {
            if (samplingParameters.Name == "postgresql")
            {
                Interlocked.Increment(ref _dropped);
                return new(SamplingDecision.Drop);
            }

            return new(SamplingDecision.RecordAndSample);
        }
    }
}
