using System.Buffers.Text;
using System.Security.Cryptography;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Exceptions;
using Attributes = Temporalio.Api.History.V1.HistoryEvent.AttributesOneofCase;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>A child workflow as the parent's history tells it.</summary>
public sealed record ChildWorkflow(string Namespace, string WorkflowId, string? RunId, string WorkflowType, string Status);

/// <summary>Another run of the same chain (continue-as-new, retry, cron) and why it exists.</summary>
public sealed record ChainLink(string RunId, string Reason);

/// <summary>One run as its page shows it: <c>DescribeWorkflowExecution</c>, then its full history.</summary>
public sealed class WorkflowDetails
{
    /// <summary>The run's namespace.</summary>
    public required string Namespace { get; init; }

    /// <summary>The server's description of the run (status, pending activities and children).</summary>
    public required DescribeWorkflowExecutionResponse Description { get; init; }

    /// <summary>The run's full history.</summary>
    public required IReadOnlyList<HistoryEvent> Events { get; init; }

    /// <summary>
    /// A digest of what the description says that can change without a history event (see <see cref="LiveStateOf"/>),
    /// as read for this page: the live page re-renders when the run's current one differs.
    /// </summary>
    public required string LiveState { get; init; }

    /// <summary>The run's visibility record.</summary>
    public WorkflowExecutionInfo Info => Description.WorkflowExecutionInfo;

    /// <summary>Workflow id and run id.</summary>
    public WorkflowExecution Execution => Info.Execution;

    /// <summary>Whether the run is still open.</summary>
    public bool IsRunning => Info.Status == WorkflowExecutionStatus.Running;

    /// <summary>The started event: input, parent, chain, cron schedule, attempt.</summary>
    public WorkflowExecutionStartedEventAttributes? Started =>
        Events.Count > 0 && Events[0].AttributesCase == Attributes.WorkflowExecutionStartedEventAttributes
            ? Events[0].WorkflowExecutionStartedEventAttributes
            : null;

    /// <summary>The event that closed the run, if it is closed.</summary>
    public HistoryEvent? CloseEvent => !IsRunning && Events.Count > 0 ? Events[^1] : null;

    /// <summary>The id of the last event shown (0 for an empty history).</summary>
    public long LastEventId => Events.Count > 0 ? Events[^1].EventId : 0;

    /// <summary>The run this one continues (continue-as-new, retry or cron), from its started event.</summary>
    public ChainLink? PreviousRun => Started is { ContinuedExecutionRunId.Length: > 0 } started
        ? new ChainLink(started.ContinuedExecutionRunId, started.Initiator switch
        {
            ContinueAsNewInitiator.Retry => "retry of",
            ContinueAsNewInitiator.CronSchedule => "cron run after",
            _ => "continued as new from",
        })
        : null;

    /// <summary>The run that followed this one, from its close event.</summary>
    public ChainLink? NextRun => CloseEvent switch
    {
        { AttributesCase: Attributes.WorkflowExecutionContinuedAsNewEventAttributes } e =>
            new ChainLink(e.WorkflowExecutionContinuedAsNewEventAttributes.NewExecutionRunId, e.WorkflowExecutionContinuedAsNewEventAttributes.Initiator switch
            {
                ContinueAsNewInitiator.Retry => "retried as",
                ContinueAsNewInitiator.CronSchedule => "next cron run",
                _ => "continued as new as",
            }),
        { AttributesCase: Attributes.WorkflowExecutionCompletedEventAttributes } e when e.WorkflowExecutionCompletedEventAttributes.NewExecutionRunId.Length > 0 =>
            new ChainLink(e.WorkflowExecutionCompletedEventAttributes.NewExecutionRunId, "next cron run"),
        { AttributesCase: Attributes.WorkflowExecutionFailedEventAttributes } e when e.WorkflowExecutionFailedEventAttributes.NewExecutionRunId.Length > 0 =>
            new ChainLink(e.WorkflowExecutionFailedEventAttributes.NewExecutionRunId,
                e.WorkflowExecutionFailedEventAttributes.RetryState == RetryState.InProgress ? "retried as" : "next cron run"),
        { AttributesCase: Attributes.WorkflowExecutionTimedOutEventAttributes } e when e.WorkflowExecutionTimedOutEventAttributes.NewExecutionRunId.Length > 0 =>
            new ChainLink(e.WorkflowExecutionTimedOutEventAttributes.NewExecutionRunId,
                e.WorkflowExecutionTimedOutEventAttributes.RetryState == RetryState.InProgress ? "retried as" : "next cron run"),
        _ => null,
    };

    /// <summary>The chain's first run, when it is not this one.</summary>
    public string? FirstRunId => Started is { FirstExecutionRunId.Length: > 0 } started && started.FirstExecutionRunId != Execution.RunId
        ? started.FirstExecutionRunId
        : null;

    /// <summary>The parent's namespace and execution, for a child workflow.</summary>
    public (string Namespace, WorkflowExecution Execution)? Parent => Started?.ParentWorkflowExecution is { } parent
        ? (Started.ParentWorkflowNamespace is { Length: > 0 } parentNamespace ? parentNamespace : Namespace, parent)
        : Info.ParentExecution is { } described ? (Namespace, described) : null;

    /// <summary>Every child the run started, with what its history says of it.</summary>
    public IReadOnlyList<ChildWorkflow> Children
    {
        get
        {
            var children = new Dictionary<long, ChildWorkflow>();
            foreach (var e in Events)
            {
                switch (e.AttributesCase)
                {
                    case Attributes.StartChildWorkflowExecutionInitiatedEventAttributes:
                        var initiated = e.StartChildWorkflowExecutionInitiatedEventAttributes;
                        children[e.EventId] = new ChildWorkflow(
                            initiated.Namespace is { Length: > 0 } childNamespace ? childNamespace : Namespace,
                            initiated.WorkflowId, null, initiated.WorkflowType?.Name ?? "", "Starting");
                        break;
                    case Attributes.ChildWorkflowExecutionStartedEventAttributes:
                        Update(e.ChildWorkflowExecutionStartedEventAttributes.InitiatedEventId, "Running", e.ChildWorkflowExecutionStartedEventAttributes.WorkflowExecution);
                        break;
                    case Attributes.StartChildWorkflowExecutionFailedEventAttributes:
                        Update(e.StartChildWorkflowExecutionFailedEventAttributes.InitiatedEventId, "Start failed", null);
                        break;
                    case Attributes.ChildWorkflowExecutionCompletedEventAttributes:
                        Update(e.ChildWorkflowExecutionCompletedEventAttributes.InitiatedEventId, "Completed", e.ChildWorkflowExecutionCompletedEventAttributes.WorkflowExecution);
                        break;
                    case Attributes.ChildWorkflowExecutionFailedEventAttributes:
                        Update(e.ChildWorkflowExecutionFailedEventAttributes.InitiatedEventId, "Failed", e.ChildWorkflowExecutionFailedEventAttributes.WorkflowExecution);
                        break;
                    case Attributes.ChildWorkflowExecutionCanceledEventAttributes:
                        Update(e.ChildWorkflowExecutionCanceledEventAttributes.InitiatedEventId, "Canceled", e.ChildWorkflowExecutionCanceledEventAttributes.WorkflowExecution);
                        break;
                    case Attributes.ChildWorkflowExecutionTimedOutEventAttributes:
                        Update(e.ChildWorkflowExecutionTimedOutEventAttributes.InitiatedEventId, "TimedOut", e.ChildWorkflowExecutionTimedOutEventAttributes.WorkflowExecution);
                        break;
                    case Attributes.ChildWorkflowExecutionTerminatedEventAttributes:
                        Update(e.ChildWorkflowExecutionTerminatedEventAttributes.InitiatedEventId, "Terminated", e.ChildWorkflowExecutionTerminatedEventAttributes.WorkflowExecution);
                        break;
                }
            }
            return [.. children.Values];

            void Update(long initiatedEventId, string status, WorkflowExecution? execution)
            {
                if (children.TryGetValue(initiatedEventId, out var child))
                {
                    children[initiatedEventId] = child with { Status = status, RunId = execution?.RunId ?? child.RunId };
                }
            }
        }
    }

    /// <summary>Reads one run; null when the namespace, workflow or run does not exist.</summary>
    internal static async Task<WorkflowDetails?> LoadAsync(TemporalGateway temporal, string ns, string workflowId, string runId, CancellationToken ct)
    {
        var execution = new WorkflowExecution { WorkflowId = workflowId, RunId = runId };
        DescribeWorkflowExecutionResponse description;
        List<HistoryEvent> events;
        try
        {
            // The description first: the history read after it is at least as new, so a page that shows a closed run
            // shows its close event, and a page whose description is older than its history is refreshed by the live watch.
            description = await temporal.Service.DescribeWorkflowExecutionAsync(
                new DescribeWorkflowExecutionRequest { Namespace = ns, Execution = execution }, TemporalGateway.Call(ct));
            events = await ReadHistoryAsync(temporal, ns, execution, ct);
        }
        catch (RpcException e) when (TemporalErrors.IsNotFound(e) || (TemporalErrors.IsInvalidArgument(e) && !Guid.TryParse(runId, out _)))
        {
            return null;
        }
        // The digest is of the payloads as the server holds them, before decoding, so the live watch compares like with like.
        var liveState = LiveStateOf(description);
        await temporal.Codec.DecodeAsync(ns, [.. events, description], ct);
        return new WorkflowDetails { Namespace = ns, Description = description, Events = events, LiveState = liveState };
    }

    /// <summary>
    /// A digest of the parts of a run's description that its page shows and that change without a history event: a
    /// pending activity's state, attempt, last failure and heartbeat (a failed attempt that is retried, a heartbeat
    /// write no event), the pending children, and the run's status (read before the history, it may be older than it).
    /// </summary>
    internal static string LiveStateOf(DescribeWorkflowExecutionResponse description)
    {
        var shown = new DescribeWorkflowExecutionResponse
        {
            WorkflowExecutionInfo = new WorkflowExecutionInfo { Status = description.WorkflowExecutionInfo.Status },
            PendingActivities = { description.PendingActivities },
            PendingChildren = { description.PendingChildren },
        };
        return Base64Url.EncodeToString(SHA256.HashData(shown.ToByteArray()).AsSpan(0, 16));
    }

    /// <summary>The whole history, page by page as the server hands it out.</summary>
    internal static async Task<List<HistoryEvent>> ReadHistoryAsync(TemporalGateway temporal, string ns, WorkflowExecution execution, CancellationToken ct)
    {
        var events = new List<HistoryEvent>();
        var token = ByteString.Empty;
        do
        {
            var page = await temporal.Service.GetWorkflowExecutionHistoryAsync(
                new GetWorkflowExecutionHistoryRequest { Namespace = ns, Execution = execution, NextPageToken = token },
                TemporalGateway.Call(ct));
            events.AddRange(page.History?.Events ?? []);
            token = page.NextPageToken;
        }
        while (!token.IsEmpty);
        return events;
    }

    /// <summary>The run id of the workflow's latest run; null when the namespace or workflow does not exist.</summary>
    internal static async Task<string?> LatestRunIdAsync(TemporalGateway temporal, string ns, string workflowId, CancellationToken ct)
    {
        try
        {
            var described = await temporal.Service.DescribeWorkflowExecutionAsync(
                new DescribeWorkflowExecutionRequest { Namespace = ns, Execution = new WorkflowExecution { WorkflowId = workflowId } },
                TemporalGateway.Call(ct));
            return described.WorkflowExecutionInfo.Execution.RunId;
        }
        catch (RpcException e) when (TemporalErrors.IsNotFound(e))
        {
            return null;
        }
    }
}
