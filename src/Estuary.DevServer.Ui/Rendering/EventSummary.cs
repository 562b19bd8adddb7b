using System.Collections.Frozen;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Attributes = Temporalio.Api.History.V1.HistoryEvent.AttributesOneofCase;

namespace Estuary.DevServer.Ui.Rendering;

/// <summary>The one-line details of a history event shown in the compact history table (the full event is its JSON).</summary>
internal static class EventSummary
{
    private const int PreviewLength = 100;

    private static readonly FrozenDictionary<EventType, (string Name, string Category)> Types =
        Enum.GetValues<EventType>().Distinct().ToFrozenDictionary(t => t, t => (t.ToString(), CategoryOf(t.ToString())));

    /// <summary>The event's type as Temporal's UI writes it (<c>ActivityTaskCompleted</c>).</summary>
    public static string TypeName(HistoryEvent e) => Types.TryGetValue(e.EventType, out var type) ? type.Name : e.EventType.ToString();

    /// <summary>The CSS class colouring the event's type as Temporal's UI groups them.</summary>
    public static string Category(HistoryEvent e) => Types.TryGetValue(e.EventType, out var type) ? type.Category : "event-workflow";

    private static string CategoryOf(string type) => type switch
    {
        _ when type.EndsWith("Failed", StringComparison.Ordinal) || type.EndsWith("TimedOut", StringComparison.Ordinal) => "event-failure",
        _ when type.StartsWith("Activity", StringComparison.Ordinal) => "event-activity",
        _ when type.StartsWith("Timer", StringComparison.Ordinal) => "event-timer",
        _ when type.Contains("Signal", StringComparison.Ordinal) => "event-signal",
        _ when type.Contains("Child", StringComparison.Ordinal) => "event-child",
        _ when type.StartsWith("WorkflowTask", StringComparison.Ordinal) => "event-task",
        _ => "event-workflow",
    };

    /// <summary>Pairs of label and value, the most telling first.</summary>
    public static IReadOnlyList<(string Label, string Value)> Of(HistoryEvent e)
    {
        var fields = new List<(string, string)>(4);
        void Add(string label, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                fields.Add((label, value));
            }
        }
        switch (e.AttributesCase)
        {
            case Attributes.WorkflowExecutionStartedEventAttributes:
                var started = e.WorkflowExecutionStartedEventAttributes;
                Add("Workflow Type", started.WorkflowType?.Name);
                Add("Task Queue", started.TaskQueue?.Name);
                Add("Input", PayloadRenderer.Preview(started.Input, PreviewLength));
                break;
            case Attributes.WorkflowExecutionCompletedEventAttributes:
                Add("Result", PayloadRenderer.Preview(e.WorkflowExecutionCompletedEventAttributes.Result, PreviewLength));
                break;
            case Attributes.WorkflowExecutionFailedEventAttributes:
                Add("Failure", Message(e.WorkflowExecutionFailedEventAttributes.Failure));
                Add("Retry State", e.WorkflowExecutionFailedEventAttributes.RetryState.ToString());
                break;
            case Attributes.WorkflowExecutionTimedOutEventAttributes:
                Add("Retry State", e.WorkflowExecutionTimedOutEventAttributes.RetryState.ToString());
                break;
            case Attributes.WorkflowExecutionCanceledEventAttributes:
                Add("Details", PayloadRenderer.Preview(e.WorkflowExecutionCanceledEventAttributes.Details, PreviewLength));
                break;
            case Attributes.WorkflowExecutionTerminatedEventAttributes:
                Add("Reason", e.WorkflowExecutionTerminatedEventAttributes.Reason);
                Add("Identity", e.WorkflowExecutionTerminatedEventAttributes.Identity);
                break;
            case Attributes.WorkflowExecutionContinuedAsNewEventAttributes:
                Add("New Run", e.WorkflowExecutionContinuedAsNewEventAttributes.NewExecutionRunId);
                Add("Input", PayloadRenderer.Preview(e.WorkflowExecutionContinuedAsNewEventAttributes.Input, PreviewLength));
                break;
            case Attributes.WorkflowExecutionSignaledEventAttributes:
                Add("Signal", e.WorkflowExecutionSignaledEventAttributes.SignalName);
                Add("Input", PayloadRenderer.Preview(e.WorkflowExecutionSignaledEventAttributes.Input, PreviewLength));
                break;
            case Attributes.WorkflowExecutionCancelRequestedEventAttributes:
                Add("Cause", e.WorkflowExecutionCancelRequestedEventAttributes.Cause);
                Add("Identity", e.WorkflowExecutionCancelRequestedEventAttributes.Identity);
                break;
            case Attributes.WorkflowTaskScheduledEventAttributes:
                Add("Task Queue", e.WorkflowTaskScheduledEventAttributes.TaskQueue?.Name);
                Add("Attempt", e.WorkflowTaskScheduledEventAttributes.Attempt > 1 ? e.WorkflowTaskScheduledEventAttributes.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
                break;
            case Attributes.WorkflowTaskStartedEventAttributes:
                Add("Identity", e.WorkflowTaskStartedEventAttributes.Identity);
                break;
            case Attributes.WorkflowTaskCompletedEventAttributes:
                Add("Identity", e.WorkflowTaskCompletedEventAttributes.Identity);
                break;
            case Attributes.WorkflowTaskFailedEventAttributes:
                Add("Cause", e.WorkflowTaskFailedEventAttributes.Cause.ToString());
                Add("Failure", Message(e.WorkflowTaskFailedEventAttributes.Failure));
                break;
            case Attributes.WorkflowTaskTimedOutEventAttributes:
                Add("Timeout", e.WorkflowTaskTimedOutEventAttributes.TimeoutType.ToString());
                break;
            case Attributes.ActivityTaskScheduledEventAttributes:
                var scheduled = e.ActivityTaskScheduledEventAttributes;
                Add("Activity Type", scheduled.ActivityType?.Name);
                Add("Activity Id", scheduled.ActivityId);
                Add("Input", PayloadRenderer.Preview(scheduled.Input, PreviewLength));
                break;
            case Attributes.ActivityTaskStartedEventAttributes:
                Add("Attempt", e.ActivityTaskStartedEventAttributes.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Add("Identity", e.ActivityTaskStartedEventAttributes.Identity);
                break;
            case Attributes.ActivityTaskCompletedEventAttributes:
                Add("Result", PayloadRenderer.Preview(e.ActivityTaskCompletedEventAttributes.Result, PreviewLength));
                break;
            case Attributes.ActivityTaskFailedEventAttributes:
                Add("Failure", Message(e.ActivityTaskFailedEventAttributes.Failure));
                Add("Retry State", e.ActivityTaskFailedEventAttributes.RetryState.ToString());
                break;
            case Attributes.ActivityTaskTimedOutEventAttributes:
                Add("Failure", Message(e.ActivityTaskTimedOutEventAttributes.Failure));
                Add("Retry State", e.ActivityTaskTimedOutEventAttributes.RetryState.ToString());
                break;
            case Attributes.ActivityTaskCanceledEventAttributes:
                Add("Details", PayloadRenderer.Preview(e.ActivityTaskCanceledEventAttributes.Details, PreviewLength));
                break;
            case Attributes.TimerStartedEventAttributes:
                Add("Timer Id", e.TimerStartedEventAttributes.TimerId);
                Add("Fires After", e.TimerStartedEventAttributes.StartToFireTimeout is { } fire ? ProtoJson.FormatDuration(fire) : null);
                break;
            case Attributes.TimerFiredEventAttributes:
                Add("Timer Id", e.TimerFiredEventAttributes.TimerId);
                break;
            case Attributes.TimerCanceledEventAttributes:
                Add("Timer Id", e.TimerCanceledEventAttributes.TimerId);
                break;
            case Attributes.MarkerRecordedEventAttributes:
                Add("Marker", e.MarkerRecordedEventAttributes.MarkerName);
                break;
            case Attributes.StartChildWorkflowExecutionInitiatedEventAttributes:
                Add("Workflow Type", e.StartChildWorkflowExecutionInitiatedEventAttributes.WorkflowType?.Name);
                Add("Workflow Id", e.StartChildWorkflowExecutionInitiatedEventAttributes.WorkflowId);
                break;
            case Attributes.ChildWorkflowExecutionStartedEventAttributes:
                Add("Workflow Id", e.ChildWorkflowExecutionStartedEventAttributes.WorkflowExecution?.WorkflowId);
                Add("Run Id", e.ChildWorkflowExecutionStartedEventAttributes.WorkflowExecution?.RunId);
                break;
            case Attributes.ChildWorkflowExecutionCompletedEventAttributes:
                Add("Workflow Id", e.ChildWorkflowExecutionCompletedEventAttributes.WorkflowExecution?.WorkflowId);
                Add("Result", PayloadRenderer.Preview(e.ChildWorkflowExecutionCompletedEventAttributes.Result, PreviewLength));
                break;
            case Attributes.ChildWorkflowExecutionFailedEventAttributes:
                Add("Workflow Id", e.ChildWorkflowExecutionFailedEventAttributes.WorkflowExecution?.WorkflowId);
                Add("Failure", Message(e.ChildWorkflowExecutionFailedEventAttributes.Failure));
                break;
            case Attributes.SignalExternalWorkflowExecutionInitiatedEventAttributes:
                Add("Signal", e.SignalExternalWorkflowExecutionInitiatedEventAttributes.SignalName);
                Add("Workflow Id", e.SignalExternalWorkflowExecutionInitiatedEventAttributes.WorkflowExecution?.WorkflowId);
                break;
            case Attributes.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes:
                Add("Workflow Id", e.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes.WorkflowExecution?.WorkflowId);
                break;
            case Attributes.WorkflowExecutionUpdateAcceptedEventAttributes:
                Add("Update", e.WorkflowExecutionUpdateAcceptedEventAttributes.AcceptedRequest?.Input?.Name);
                Add("Update Id", e.WorkflowExecutionUpdateAcceptedEventAttributes.ProtocolInstanceId);
                break;
            case Attributes.WorkflowExecutionUpdateCompletedEventAttributes:
                var outcome = e.WorkflowExecutionUpdateCompletedEventAttributes.Outcome;
                Add("Update Id", e.WorkflowExecutionUpdateCompletedEventAttributes.Meta?.UpdateId);
                Add(outcome?.Failure is null ? "Result" : "Failure",
                    outcome?.Failure is { } updateFailure ? Message(updateFailure) : PayloadRenderer.Preview(outcome?.Success, PreviewLength));
                break;
        }
        return fields;
    }

    private static string? Message(Failure? failure) => failure?.Message;
}
