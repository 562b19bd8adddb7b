using System.Diagnostics;
using Estuary.Temporal.Monitoring;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Estuary.Monitoring.Bench;

/// <summary>
/// What a worker's service defaults run when monitoring is on, minus the network: OpenTelemetry logs (scopes included),
/// traces and metrics of Estuary and of the Temporal SDK, each through the batching processor or periodic reader an
/// OTLP exporter uses, into an exporter that drops the batch.
/// </summary>
internal sealed class MonitoringPipeline : IDisposable
{
    private readonly TracerProvider _tracing;
    private readonly MeterProvider _metrics;

    public MonitoringPipeline()
    {
        _tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(EstuaryTelemetry.Name)
            .AddProcessor(new BatchActivityExportProcessor(new Discard<Activity>()))
            .Build();
        _metrics = Sdk.CreateMeterProviderBuilder()
            .AddMeter(EstuaryTelemetry.Name, EstuaryTelemetry.SdkMeterName)
            .AddReader(new PeriodicExportingMetricReader(new Discard<Metric>(), exportIntervalMilliseconds: 1000))
            .Build();
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(logging => logging
            .SetMinimumLevel(LogLevel.Information)
            .AddOpenTelemetry(options =>
            {
                options.IncludeScopes = true;
                options.IncludeFormattedMessage = true;
                options.AddProcessor(new BatchLogRecordExportProcessor(new Discard<LogRecord>()));
            }));
    }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Gets the number of spans, log records and metric points exported (proof the pipeline ran).</summary>
    public static long Exported => Interlocked.Read(ref Discard<Activity>.Count) + Interlocked.Read(ref Discard<LogRecord>.Count)
        + Interlocked.Read(ref Discard<Metric>.Count);

    public void Dispose()
    {
        LoggerFactory.Dispose();
        _tracing.Dispose();
        _metrics.Dispose();
    }

    private sealed class Discard<T> : BaseExporter<T>
        where T : class
    {
        public static long Count;

        public override ExportResult Export(in Batch<T> batch)
        {
            Interlocked.Add(ref Count, batch.Count);
            return ExportResult.Success;
        }
    }
}
