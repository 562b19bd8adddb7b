using System.Diagnostics;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Monitoring;
using Temporalio.Activities;
using Temporalio.Api.Common.V1;
using Temporalio.Client;
using Temporalio.Client.Interceptors;
using Temporalio.Exceptions;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;

namespace Estuary.Temporal.Tracing;

/// <summary>
/// One trace from whoever starts a workflow to the SQL its activities run, on <see cref="EstuaryTelemetry.ActivitySource"/>:
/// client spans (<c>StartWorkflow</c>, <c>SignalWorkflow</c>, <c>QueryWorkflow</c>, <c>UpdateWorkflow</c>), workflow
/// spans (<c>RunWorkflow</c>, <c>CompleteWorkflow</c>, <c>StartActivity</c>, <c>StartChildWorkflow</c>,
/// <c>SignalChildWorkflow</c>, <c>SignalExternalWorkflow</c>, <c>HandleSignal</c>, <c>HandleQuery</c>,
/// <c>ValidateUpdate</c>, <c>HandleUpdate</c>) and <c>RunActivity</c>, the context travelling in Temporal headers
/// (<see cref="TraceHeaders"/>). Set it on the client: a worker built from that client uses it too.
/// </summary>
/// <remarks>
/// A workflow can be evicted and replayed on another worker at any await, so a span cannot stay open across one:
/// workflow spans start and stop at once, and later spans of the workflow are parented to them. While a workflow
/// replays no span is produced; its later spans are then parented to the context the workflow was started with, so a
/// trace continues under the same trace id after a worker restart.
/// </remarks>
public sealed class TracingInterceptor : IClientInterceptor, IWorkerInterceptor
{
    // The span context workflow code runs under; flows with the workflow's awaits, one per handler.
    private static readonly AsyncLocal<ActivityContext?> WorkflowContext = new();

    private readonly DomainLookup _domains;

    /// <summary>Initializes a new instance of the <see cref="TracingInterceptor"/> class.</summary>
    /// <param name="domains">The domains whose workflows and activities are traced, to tag spans with their domain.</param>
    public TracingInterceptor(DomainCatalog? domains = null)
    {
        _domains = new DomainLookup(domains?.Domains ?? []);
    }

    /// <summary>
    /// Gets the span context the workflow code running on this thread is under: its <c>RunWorkflow</c> span (or, in a
    /// signal, query or update handler, the handler's span), or the context the workflow was started with when the
    /// worker replayed the part that recorded those spans; <c>null</c> outside workflows and in untraced ones. Inside a
    /// workflow <see cref="Activity.Current"/> is not that span (workflow spans end as soon as they start), so log
    /// records take their trace and span ids from here.
    /// </summary>
    public static ActivityContext? CurrentWorkflowContext => Workflow.InWorkflow ? WorkflowContext.Value : null;

    /// <inheritdoc />
    public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) =>
        new ClientOutbound(nextInterceptor, this);

    /// <inheritdoc />
    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) =>
        new WorkflowInbound(nextInterceptor, this);

    /// <inheritdoc />
    public ActivityInboundInterceptor InterceptActivity(ActivityInboundInterceptor nextInterceptor) =>
        new ActivityInbound(nextInterceptor, this);

    /// <summary>Marks a span failed: error status with the message, and the exception as an event.</summary>
    private static void RecordFailure(Activity? span, Exception exception)
    {
        if (span is null || exception is ContinueAsNewException)
        {
            return;
        }

        span.SetStatus(ActivityStatusCode.Error, exception.Message);
        span.AddException(exception);
    }

    private string? DomainOfWorkflow(string type) => _domains.OfWorkflow(type);

    private string? DomainOfActivity(string type) => _domains.OfActivity(type);

    private static TagList WorkflowTags(string workflowId, string? runId, string workflowType, string? taskQueue, string? domain)
    {
        var tags = new TagList { { TracingTags.WorkflowId, workflowId }, { TracingTags.WorkflowType, workflowType } };
        AddIfSet(ref tags, TracingTags.RunId, runId);
        AddIfSet(ref tags, TracingTags.TaskQueue, taskQueue);
        AddIfSet(ref tags, TracingTags.Domain, domain);
        return tags;
    }

    private static void AddIfSet(ref TagList tags, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            tags.Add(key, value);
        }
    }

    /// <summary>Starts a client span under the caller's current span and puts its context in the headers.</summary>
    private static Activity? StartClientSpan(string name, TagList tags, ref IDictionary<string, Payload>? headers)
    {
        var span = EstuaryTelemetry.ActivitySource.StartActivity(name, ActivityKind.Client, parentContext: default, tags);
        if (span is not null)
        {
            headers = TraceHeaders.Inject(headers, span);
        }

        return span;
    }

    /// <summary>
    /// Records a workflow span that starts and stops at once (none while replaying, unless <paramref name="evenOnReplay"/>),
    /// under the workflow's current context; returns the context later spans should be parented to.
    /// </summary>
    private static ActivityContext? TrackWorkflowSpan(
        string name,
        ActivityKind kind,
        ActivityContext? parent,
        TagList tags,
        Exception? failure = null,
        ActivityLink? link = null,
        bool evenOnReplay = false)
    {
        if (Workflow.Unsafe.IsReplaying && !evenOnReplay)
        {
            return parent;
        }

        // Without a parent the span starts a trace; never adopt whatever span the worker's thread happens to hold.
        var ambient = Activity.Current;
        Activity.Current = null;
        try
        {
            using var span = EstuaryTelemetry.ActivitySource.StartActivity(
                name, kind, parent ?? default, tags, link is { } l ? [l] : null);
            if (span is null)
            {
                return parent;
            }

            if (failure is not null)
            {
                RecordFailure(span, failure);
            }

            return span.Context;
        }
        finally
        {
            Activity.Current = ambient;
        }
    }

    private TagList InWorkflowTags()
    {
        var info = Workflow.Info;
        return WorkflowTags(info.WorkflowId, info.RunId, info.WorkflowType, info.TaskQueue, DomainOfWorkflow(info.WorkflowType));
    }

    /// <summary>Records a workflow span, puts its context (or the current one) in the headers.</summary>
    private static IDictionary<string, Payload>? StartFromWorkflow(string name, TagList tags, IDictionary<string, Payload>? headers)
    {
        var context = TrackWorkflowSpan(name, ActivityKind.Client, WorkflowContext.Value, tags);
        return context is { } c ? TraceHeaders.Inject(headers, c) : headers;
    }

    private sealed class ClientOutbound(ClientOutboundInterceptor next, TracingInterceptor owner) : ClientOutboundInterceptor(next)
    {
        public override async Task<WorkflowHandle<TWorkflow, TResult>> StartWorkflowAsync<TWorkflow, TResult>(StartWorkflowInput input)
        {
            var name = input.Options.StartSignal is null ? "StartWorkflow" : "SignalWithStartWorkflow";
            var headers = input.Headers;
            using var span = StartClientSpan(
                $"{name}:{input.Workflow}",
                WorkflowTags(input.Options.Id!, null, input.Workflow, input.Options.TaskQueue, owner.DomainOfWorkflow(input.Workflow)),
                ref headers);
            try
            {
                var handle = await base.StartWorkflowAsync<TWorkflow, TResult>(input with { Headers = headers });
                span?.SetTag(TracingTags.RunId, handle.ResultRunId);
                return handle;
            }
            catch (Exception e)
            {
                RecordFailure(span, e);
                throw;
            }
        }

        public override async Task SignalWorkflowAsync(SignalWorkflowInput input)
        {
            var headers = input.Headers;
            using var span = StartClientSpan($"SignalWorkflow:{input.Signal}", new TagList { { TracingTags.WorkflowId, input.Id } }, ref headers);
            try
            {
                await base.SignalWorkflowAsync(input with { Headers = headers });
            }
            catch (Exception e)
            {
                RecordFailure(span, e);
                throw;
            }
        }

        public override async Task<TResult> QueryWorkflowAsync<TResult>(QueryWorkflowInput input)
        {
            var headers = input.Headers;
            using var span = StartClientSpan($"QueryWorkflow:{input.Query}", new TagList { { TracingTags.WorkflowId, input.Id } }, ref headers);
            try
            {
                return await base.QueryWorkflowAsync<TResult>(input with { Headers = headers });
            }
            catch (Exception e)
            {
                RecordFailure(span, e);
                throw;
            }
        }

        public override async Task<WorkflowUpdateHandle<TResult>> StartWorkflowUpdateAsync<TResult>(StartWorkflowUpdateInput input)
        {
            var headers = input.Headers;
            using var span = StartClientSpan($"UpdateWorkflow:{input.Update}", new TagList { { TracingTags.WorkflowId, input.Id } }, ref headers);
            try
            {
                return await base.StartWorkflowUpdateAsync<TResult>(input with { Headers = headers });
            }
            catch (Exception e)
            {
                RecordFailure(span, e);
                throw;
            }
        }

        public override async Task<WorkflowUpdateHandle<TUpdateResult>> StartUpdateWithStartWorkflowAsync<TUpdateResult>(
            StartUpdateWithStartWorkflowInput input)
        {
            var headers = input.Headers;
            if (input.Options.StartWorkflowOperation is not { } start)
            {
                return await base.StartUpdateWithStartWorkflowAsync<TUpdateResult>(input);
            }

            using var span = StartClientSpan(
                $"UpdateWithStartWorkflow:{start.Workflow}",
                WorkflowTags(start.Options.Id!, null, start.Workflow, start.Options.TaskQueue, owner.DomainOfWorkflow(start.Workflow)),
                ref headers);
            if (span is not null)
            {
                // The workflow reads the start's headers, the update handler the update's: both carry the context.
                start.Headers = TraceHeaders.Inject(start.Headers, span);
            }

            try
            {
                return await base.StartUpdateWithStartWorkflowAsync<TUpdateResult>(input with { Headers = headers });
            }
            catch (Exception e)
            {
                RecordFailure(span, e);
                throw;
            }
        }
    }

    private sealed class WorkflowInbound(WorkflowInboundInterceptor next, TracingInterceptor owner) : WorkflowInboundInterceptor(next)
    {
        public override void Init(WorkflowOutboundInterceptor outbound) => base.Init(new WorkflowOutbound(outbound, owner));

        public override async Task<object?> ExecuteWorkflowAsync(ExecuteWorkflowInput input)
        {
            var info = Workflow.Info;
            var tags = owner.InWorkflowTags();
            tags.Add(TracingTags.Attempt, info.Attempt);
            var context = TrackWorkflowSpan($"RunWorkflow:{info.WorkflowType}", ActivityKind.Server, TraceHeaders.Extract(info.Headers), tags);
            WorkflowContext.Value = context;
            try
            {
                var result = await base.ExecuteWorkflowAsync(input);
                TrackWorkflowSpan($"CompleteWorkflow:{info.WorkflowType}", ActivityKind.Internal, context, owner.InWorkflowTags());
                return result;
            }
            catch (Exception e)
            {
                // A workflow failure (or cancel) ends the run; anything else fails the workflow task, which is retried.
                var name = e switch
                {
                    ContinueAsNewException => "ContinueAsNew",
                    FailureException or OperationCanceledException => "CompleteWorkflow",
                    _ => "WorkflowTaskFailure",
                };
                TrackWorkflowSpan($"{name}:{info.WorkflowType}", ActivityKind.Internal, context, owner.InWorkflowTags(), e);
                throw;
            }
        }

        public override async Task HandleSignalAsync(HandleSignalInput input)
        {
            WorkflowContext.Value = Handler($"HandleSignal:{input.Signal}", input.Headers, evenOnReplay: false);
            try
            {
                await base.HandleSignalAsync(input);
            }
            catch (Exception e)
            {
                TrackWorkflowSpan($"HandleSignalFailure:{input.Signal}", ActivityKind.Internal, WorkflowContext.Value, owner.InWorkflowTags(), e);
                throw;
            }
        }

        public override object? HandleQuery(HandleQueryInput input)
        {
            // Queries run outside the history: traced even while the workflow catches up.
            var previous = WorkflowContext.Value;
            WorkflowContext.Value = Handler($"HandleQuery:{input.Query}", input.Headers, evenOnReplay: true);
            try
            {
                return base.HandleQuery(input);
            }
            catch (Exception e)
            {
                TrackWorkflowSpan($"HandleQueryFailure:{input.Query}", ActivityKind.Internal, WorkflowContext.Value, owner.InWorkflowTags(), e, evenOnReplay: true);
                throw;
            }
            finally
            {
                WorkflowContext.Value = previous;
            }
        }

        public override void ValidateUpdate(HandleUpdateInput input)
        {
            var previous = WorkflowContext.Value;
            WorkflowContext.Value = Handler($"ValidateUpdate:{input.Update}", input.Headers, evenOnReplay: false);
            try
            {
                base.ValidateUpdate(input);
            }
            catch (Exception e)
            {
                TrackWorkflowSpan($"ValidateUpdateFailure:{input.Update}", ActivityKind.Internal, WorkflowContext.Value, owner.InWorkflowTags(), e);
                throw;
            }
            finally
            {
                WorkflowContext.Value = previous;
            }
        }

        public override async Task<object?> HandleUpdateAsync(HandleUpdateInput input)
        {
            WorkflowContext.Value = Handler($"HandleUpdate:{input.Update}", input.Headers, evenOnReplay: false);
            try
            {
                return await base.HandleUpdateAsync(input);
            }
            catch (Exception e)
            {
                TrackWorkflowSpan($"HandleUpdateFailure:{input.Update}", ActivityKind.Internal, WorkflowContext.Value, owner.InWorkflowTags(), e);
                throw;
            }
        }

        // A handler's span belongs to the workflow's trace; the caller's span is linked.
        private ActivityContext? Handler(string name, IReadOnlyDictionary<string, Payload>? headers, bool evenOnReplay) =>
            TrackWorkflowSpan(
                name,
                ActivityKind.Server,
                TraceHeaders.Extract(Workflow.Info.Headers),
                owner.InWorkflowTags(),
                link: TraceHeaders.Extract(headers) is { } caller ? new ActivityLink(caller) : null,
                evenOnReplay: evenOnReplay);
    }

    private sealed class WorkflowOutbound(WorkflowOutboundInterceptor next, TracingInterceptor owner) : WorkflowOutboundInterceptor(next)
    {
        public override Task<TResult> ScheduleActivityAsync<TResult>(ScheduleActivityInput input)
        {
            var tags = ActivityTags(input.Activity, input.Options.TaskQueue);
            return base.ScheduleActivityAsync<TResult>(input with { Headers = StartFromWorkflow($"StartActivity:{input.Activity}", tags, input.Headers) });
        }

        public override Task<TResult> ScheduleLocalActivityAsync<TResult>(ScheduleLocalActivityInput input)
        {
            var tags = ActivityTags(input.Activity, Workflow.Info.TaskQueue);
            return base.ScheduleLocalActivityAsync<TResult>(input with { Headers = StartFromWorkflow($"StartActivity:{input.Activity}", tags, input.Headers) });
        }

        public override Task<ChildWorkflowHandle<TWorkflow, TResult>> StartChildWorkflowAsync<TWorkflow, TResult>(StartChildWorkflowInput input)
        {
            var tags = owner.InWorkflowTags();
            tags.Add(TracingTags.ChildWorkflowType, input.Workflow);
            AddIfSet(ref tags, TracingTags.ChildWorkflowId, input.Options.Id);
            AddIfSet(ref tags, TracingTags.ChildDomain, owner.DomainOfWorkflow(input.Workflow));
            return base.StartChildWorkflowAsync<TWorkflow, TResult>(
                input with { Headers = StartFromWorkflow($"StartChildWorkflow:{input.Workflow}", tags, input.Headers) });
        }

        public override Task SignalChildWorkflowAsync(SignalChildWorkflowInput input) =>
            base.SignalChildWorkflowAsync(
                input with { Headers = StartFromWorkflow($"SignalChildWorkflow:{input.Signal}", owner.InWorkflowTags(), input.Headers) });

        public override Task SignalExternalWorkflowAsync(SignalExternalWorkflowInput input) =>
            base.SignalExternalWorkflowAsync(
                input with { Headers = StartFromWorkflow($"SignalExternalWorkflow:{input.Signal}", owner.InWorkflowTags(), input.Headers) });

        public override ContinueAsNewException CreateContinueAsNewException(CreateContinueAsNewExceptionInput input)
        {
            // The next run continues this trace.
            var headers = WorkflowContext.Value is { } context ? TraceHeaders.Inject(input.Headers, context) : input.Headers;
            return base.CreateContinueAsNewException(input with { Headers = headers });
        }

        private TagList ActivityTags(string activityType, string? taskQueue)
        {
            var info = Workflow.Info;
            var tags = WorkflowTags(info.WorkflowId, info.RunId, info.WorkflowType, taskQueue ?? info.TaskQueue, owner.DomainOfActivity(activityType));
            tags.Add(TracingTags.ActivityType, activityType);
            return tags;
        }
    }

    private sealed class ActivityInbound(ActivityInboundInterceptor next, TracingInterceptor owner) : ActivityInboundInterceptor(next)
    {
        public override async Task<object?> ExecuteActivityAsync(ExecuteActivityInput input)
        {
            var info = ActivityExecutionContext.Current.Info;
            var tags = new TagList();
            AddIfSet(ref tags, TracingTags.WorkflowId, info.WorkflowId);
            AddIfSet(ref tags, TracingTags.RunId, info.WorkflowRunId);
            AddIfSet(ref tags, TracingTags.WorkflowType, info.WorkflowType);
            AddIfSet(ref tags, TracingTags.TaskQueue, info.TaskQueue);
            AddIfSet(ref tags, TracingTags.Domain, owner.DomainOfActivity(info.ActivityType));
            tags.Add(TracingTags.ActivityId, info.ActivityId);
            tags.Add(TracingTags.ActivityType, info.ActivityType);
            tags.Add(TracingTags.Attempt, info.Attempt);
            using var span = EstuaryTelemetry.ActivitySource.StartActivity(
                $"RunActivity:{info.ActivityType}", ActivityKind.Server, TraceHeaders.Extract(input.Headers) ?? default, tags);
            try
            {
                return await base.ExecuteActivityAsync(input);
            }
            catch (Exception e)
            {
                RecordFailure(span, e);
                throw;
            }
        }
    }
}
