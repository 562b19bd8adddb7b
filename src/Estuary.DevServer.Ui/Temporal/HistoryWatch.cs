using System.Buffers.Text;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>Watching a run for its live page, and reading one event's JSON.</summary>
internal static class HistoryWatch
{
    /// <summary>How long one live-update request may wait; the server answers empty shortly before it.</summary>
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the run's description is compared with the page's while the history long poll waits: Temporal's API
    /// tells no one when a pending activity changes (a retried failure, a heartbeat), so the description is asked.
    /// </summary>
    private static readonly TimeSpan DescribeInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Waits until the page showing the run up to event <paramref name="afterEventId"/>, with the description digest
    /// <paramref name="liveState"/> (<see cref="WorkflowDetails.LiveStateOf"/>), is out of date: the run has an event
    /// after it (<c>GetWorkflowExecutionHistory</c>'s <c>wait_new_event</c> long poll), or its description has changed
    /// (<c>DescribeWorkflowExecution</c>, every <see cref="DescribeInterval"/>). Answers whether it is and, when the
    /// long poll ended with nothing new on a running run, the token to continue waiting from (null once the run is closed).
    /// </summary>
    public static async Task<(bool Changed, string? Token)> WaitAsync(
        TemporalGateway temporal, string ns, WorkflowExecution execution, long afterEventId, string? liveState, string? token, CancellationToken ct)
    {
        if (liveState is null)
        {
            return await WaitForEventAsync(temporal, ns, execution, afterEventId, token, ct);
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var events = WaitForEventAsync(temporal, ns, execution, afterEventId, token, stop.Token);
        var described = WaitForDescriptionChangeAsync(temporal, ns, execution, liveState, stop.Token);
        var first = await Task.WhenAny(events, described);
        await stop.CancelAsync();
        var loser = first == events ? (Task)described : events;
        try
        {
            await loser;
        }
        catch (Exception) when (stop.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // Stopped because the other wait answered.
        }
        if (first == described)
        {
            await described;
            return (true, null);
        }
        var (changed, next) = await events;
        // The long poll may end at once on a run that has just closed: the page may have read its description before
        // the close (it reads the description before the history), so look once more before saying nothing changed.
        return changed || await DescriptionChangedAsync(temporal, ns, execution, liveState, ct) ? (true, null) : (false, next);
    }

    private static async Task WaitForDescriptionChangeAsync(
        TemporalGateway temporal, string ns, WorkflowExecution execution, string liveState, CancellationToken ct)
    {
        while (!await DescriptionChangedAsync(temporal, ns, execution, liveState, ct))
        {
            await Task.Delay(DescribeInterval, ct);
        }
    }

    private static async Task<bool> DescriptionChangedAsync(
        TemporalGateway temporal, string ns, WorkflowExecution execution, string liveState, CancellationToken ct)
    {
        var description = await temporal.Service.DescribeWorkflowExecutionAsync(
            new DescribeWorkflowExecutionRequest { Namespace = ns, Execution = execution }, TemporalGateway.Call(ct));
        return WorkflowDetails.LiveStateOf(description) != liveState;
    }

    /// <summary>
    /// Waits, with <c>GetWorkflowExecutionHistory</c>'s <c>wait_new_event</c> long poll, until the run has an event after
    /// <paramref name="afterEventId"/>; the token to continue from when the poll ended without one on a running run.
    /// </summary>
    private static async Task<(bool Changed, string? Token)> WaitForEventAsync(
        TemporalGateway temporal, string ns, WorkflowExecution execution, long afterEventId, string? token, CancellationToken ct)
    {
        var request = new GetWorkflowExecutionHistoryRequest
        {
            Namespace = ns,
            Execution = execution,
            WaitNewEvent = true,
            NextPageToken = Decode(token),
        };
        while (true)
        {
            var page = await temporal.Service.GetWorkflowExecutionHistoryAsync(request, TemporalGateway.Call(ct, LongPoll));
            var events = page.History?.Events ?? [];
            if (events.Any(e => e.EventId > afterEventId))
            {
                return (true, null);
            }
            if (page.NextPageToken.IsEmpty)
            {
                return (false, null);
            }
            if (events.Count == 0)
            {
                return (false, Base64Url.EncodeToString(page.NextPageToken.Span));
            }
            request.NextPageToken = page.NextPageToken;
        }
    }

    /// <summary>One event of the run (paging through the history to it); null when there is no such event.</summary>
    public static async Task<HistoryEvent?> FindEventAsync(
        TemporalGateway temporal, string ns, WorkflowExecution execution, long eventId, CancellationToken ct)
    {
        var token = ByteString.Empty;
        do
        {
            var page = await temporal.Service.GetWorkflowExecutionHistoryAsync(
                new GetWorkflowExecutionHistoryRequest { Namespace = ns, Execution = execution, NextPageToken = token },
                TemporalGateway.Call(ct));
            var events = page.History?.Events ?? [];
            foreach (var e in events)
            {
                if (e.EventId == eventId)
                {
                    await temporal.Codec.DecodeAsync(ns, [e], ct);
                    return e;
                }
            }
            if (events.Count > 0 && events[^1].EventId > eventId)
            {
                return null;
            }
            token = page.NextPageToken;
        }
        while (!token.IsEmpty);
        return null;
    }

    private static ByteString Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return ByteString.Empty;
        }
        try
        {
            return ByteString.CopyFrom(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            return ByteString.Empty;
        }
    }
}
