using System.Diagnostics;
using Estuary.Temporal.Domains;
using Microsoft.Extensions.Logging;
using Temporalio.Activities;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// Wraps every workflow and activity the worker runs (the seed's <c>@monitored_workflow</c> and
/// <c>@monitored_activity</c>) with no code in them: a log line at the end (outcome and duration; Information, Warning
/// when it failed) and one at the start (Debug: the end line and the span say it all unless a run is still going) inside
/// a log scope naming the domain, task queue, workflow id, run id, type, activity id and attempt; the counters and the
/// duration histogram of <see cref="EstuaryTelemetry"/>. Signal, query and update handlers log inside the same
/// workflow scope. Spans come from <see cref="Tracing.TracingInterceptor"/>, which runs outside this one, so activity
/// log records carry the trace and span ids of their <c>RunActivity</c> span (workflow log records get theirs from
/// <see cref="Tracing.TracingInterceptor.CurrentWorkflowContext"/>). Workflow logging goes through
/// <see cref="Workflow.Logger"/>, which is silent during replay, and metrics are skipped while replaying.
/// </summary>
public sealed class MonitoringInterceptor : IWorkerInterceptor
{
    private readonly ILogger _activityLogger;
    private readonly DomainLookup _domains;

    /// <summary>Initializes a new instance of the <see cref="MonitoringInterceptor"/> class.</summary>
    /// <param name="loggerFactory">Creates the activity logger (workflows log through <see cref="Workflow.Logger"/>).</param>
    /// <param name="domains">The domains served by the worker, to name the domain of each workflow and activity.</param>
    public MonitoringInterceptor(ILoggerFactory loggerFactory, IEnumerable<DomainDescriptor> domains)
    {
        _activityLogger = loggerFactory.CreateLogger<MonitoringInterceptor>();
        _domains = new DomainLookup(domains);
    }

    /// <inheritdoc />
    public ActivityInboundInterceptor InterceptActivity(ActivityInboundInterceptor nextInterceptor) =>
        new ActivityInbound(nextInterceptor, this);

    /// <inheritdoc />
    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) =>
        new WorkflowInbound(nextInterceptor, this);

    private static TagList Tags(string kind, string domain, string type) =>
        new() { { "estuary.kind", kind }, { "estuary.domain", domain }, { "estuary.type", type } };

    private static void RecordEnd(TagList tags, string outcome, TimeSpan duration)
    {
        if (outcome == Outcome.Completed)
        {
            EstuaryTelemetry.Completed.Add(1, tags);
        }

        tags.Add("estuary.outcome", outcome);
        if (outcome != Outcome.Completed)
        {
            EstuaryTelemetry.Failed.Add(1, tags);
        }

        EstuaryTelemetry.Duration.Record(duration.TotalSeconds, tags);
    }

    private sealed class ActivityInbound(ActivityInboundInterceptor next, MonitoringInterceptor owner)
        : ActivityInboundInterceptor(next)
    {
        public override async Task<object?> ExecuteActivityAsync(ExecuteActivityInput input)
        {
            var info = ActivityExecutionContext.Current.Info;
            var domain = owner._domains.OfActivity(info.ActivityType) ?? string.Empty;
            var logger = owner._activityLogger;
            using var scope = logger.BeginScope(
                "Domain:{Domain} TaskQueue:{TaskQueue} WorkflowId:{WorkflowId} RunId:{RunId} ActivityType:{ActivityType} ActivityId:{ActivityId} Attempt:{Attempt}",
                domain,
                info.TaskQueue,
                info.WorkflowId,
                info.WorkflowRunId,
                info.ActivityType,
                info.ActivityId,
                info.Attempt);
            var tags = Tags("activity", domain, info.ActivityType);
            EstuaryTelemetry.Started.Add(1, tags);
            logger.LogDebug("Activity {ActivityType} started (attempt {Attempt})", info.ActivityType, info.Attempt);
            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = await base.ExecuteActivityAsync(input);
                var duration = Stopwatch.GetElapsedTime(started);
                RecordEnd(tags, Outcome.Completed, duration);
                logger.LogInformation(
                    "Activity {ActivityType} {Outcome} in {DurationMs} ms (attempt {Attempt})",
                    info.ActivityType,
                    Outcome.Completed,
                    duration.TotalMilliseconds,
                    info.Attempt);
                return result;
            }
            catch (Exception e)
            {
                var duration = Stopwatch.GetElapsedTime(started);
                var outcome = Outcome.Of(e);
                RecordEnd(tags, outcome, duration);
                logger.LogWarning(
                    e,
                    "Activity {ActivityType} {Outcome} in {DurationMs} ms (attempt {Attempt})",
                    info.ActivityType,
                    outcome,
                    duration.TotalMilliseconds,
                    info.Attempt);
                throw;
            }
        }
    }

    private sealed class WorkflowInbound(WorkflowInboundInterceptor next, MonitoringInterceptor owner)
        : WorkflowInboundInterceptor(next)
    {
        public override async Task<object?> ExecuteWorkflowAsync(ExecuteWorkflowInput input)
        {
            var info = Workflow.Info;
            var domain = owner._domains.OfWorkflow(info.WorkflowType) ?? string.Empty;
            var logger = Workflow.Logger;
            using var scope = BeginScope(domain);

            var tags = Tags("workflow", domain, info.WorkflowType);
            if (!Workflow.Unsafe.IsReplaying)
            {
                EstuaryTelemetry.Started.Add(1, tags);
            }

            logger.LogDebug("Workflow {WorkflowType} started (attempt {Attempt})", info.WorkflowType, info.Attempt);

            // Workflow time, not wall-clock time: deterministic, and what the history shows.
            var started = Workflow.UtcNow;
            try
            {
                var result = await base.ExecuteWorkflowAsync(input);
                End(Outcome.Completed, null);
                return result;
            }
            catch (Exception e)
            {
                End(Outcome.Of(e), e);
                throw;
            }

            void End(string outcome, Exception? exception)
            {
                var duration = Workflow.UtcNow - started;
                if (!Workflow.Unsafe.IsReplaying)
                {
                    RecordEnd(tags, outcome, duration);
                }

                var level = exception is null or ContinueAsNewException ? LogLevel.Information : LogLevel.Warning;
                logger.Log(
                    level,
                    exception is ContinueAsNewException ? null : exception,
                    "Workflow {WorkflowType} {Outcome} in {DurationMs} ms",
                    info.WorkflowType,
                    outcome,
                    duration.TotalMilliseconds);
            }
        }

        // Handlers do not run inside the run method's flow: each opens the workflow's scope for its own log lines.
        public override async Task HandleSignalAsync(HandleSignalInput input)
        {
            using var scope = BeginScope();
            await base.HandleSignalAsync(input);
        }

        public override object? HandleQuery(HandleQueryInput input)
        {
            using var scope = BeginScope();
            return base.HandleQuery(input);
        }

        public override void ValidateUpdate(HandleUpdateInput input)
        {
            using var scope = BeginScope();
            base.ValidateUpdate(input);
        }

        public override async Task<object?> HandleUpdateAsync(HandleUpdateInput input)
        {
            using var scope = BeginScope();
            return await base.HandleUpdateAsync(input);
        }

        private IDisposable? BeginScope(string? domain = null)
        {
            var info = Workflow.Info;
            return Workflow.Logger.BeginScope(
                "Domain:{Domain} TaskQueue:{TaskQueue} WorkflowId:{WorkflowId} RunId:{RunId} WorkflowType:{WorkflowType} Attempt:{Attempt}",
                domain ?? owner._domains.OfWorkflow(info.WorkflowType) ?? string.Empty,
                info.TaskQueue,
                info.WorkflowId,
                info.RunId,
                info.WorkflowType,
                info.Attempt);
        }
    }
}
