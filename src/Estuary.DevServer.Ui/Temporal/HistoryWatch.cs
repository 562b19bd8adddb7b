using System.Buffers.Text;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>Reading a run's history for the live page and for one event's JSON.</summary>
internal static class HistoryWatch
{
    /// <summary>How long one live-update request may wait; the server answers empty shortly before it.</summary>
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Waits, with <c>GetWorkflowExecutionHistory</c>'s <c>wait_new_event</c> long poll, until the run has an event after
    /// <paramref name="afterEventId"/>. Answers whether it has one and, when the poll ended without one on a running run,
    /// the token to continue waiting from (null once the run is closed).
    /// </summary>
    public static async Task<(bool Changed, string? Token)> WaitAsync(
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
