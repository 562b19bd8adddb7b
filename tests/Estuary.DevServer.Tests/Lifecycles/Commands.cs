using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;

namespace Estuary.DevServer.Tests.Lifecycles;

/// <summary>Workflow task commands as a worker sends them.</summary>
internal static class Commands
{
    public static Command StartTimer(string id, TimeSpan after) => new()
    {
        CommandType = CommandType.StartTimer,
        StartTimerCommandAttributes = new() { TimerId = id, StartToFireTimeout = Duration.FromTimeSpan(after) },
    };

    public static Command CancelTimer(string id) => new()
    {
        CommandType = CommandType.CancelTimer,
        CancelTimerCommandAttributes = new() { TimerId = id },
    };

    public static Command ScheduleActivity(string id, TimeSpan startToClose, RetryPolicy? retry = null) => new()
    {
        CommandType = CommandType.ScheduleActivityTask,
        ScheduleActivityTaskCommandAttributes = new()
        {
            ActivityId = id,
            ActivityType = new ActivityType { Name = "Work" },
            StartToCloseTimeout = Duration.FromTimeSpan(startToClose),
            RetryPolicy = retry,
        },
    };

    public static Command StartChild(string workflowId, ParentClosePolicy policy = ParentClosePolicy.Unspecified) => new()
    {
        CommandType = CommandType.StartChildWorkflowExecution,
        StartChildWorkflowExecutionCommandAttributes = new()
        {
            WorkflowId = workflowId,
            WorkflowType = new WorkflowType { Name = "Child" },
            ParentClosePolicy = policy,
        },
    };

    public static Command Complete(string result) => new()
    {
        CommandType = CommandType.CompleteWorkflowExecution,
        CompleteWorkflowExecutionCommandAttributes = new() { Result = new Payloads { Payloads_ = { new Payload { Data = Google.Protobuf.ByteString.CopyFromUtf8(result) } } } },
    };

    public static Command Fail(string message) => new()
    {
        CommandType = CommandType.FailWorkflowExecution,
        FailWorkflowExecutionCommandAttributes = new() { Failure = new Failure { Message = message, ApplicationFailureInfo = new() { Type = "Broke" } } },
    };

    public static Command ContinueAsNew() => new()
    {
        CommandType = CommandType.ContinueAsNewWorkflowExecution,
        ContinueAsNewWorkflowExecutionCommandAttributes = new() { WorkflowType = new WorkflowType { Name = "Test" } },
    };
}
