using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Visibility;

/// <summary>The search attributes every run has, named and typed as Temporal names them.</summary>
internal static class SystemSearchAttributes
{
    public static readonly SearchAttributeRef WorkflowId = new("WorkflowId", IndexedValueType.Keyword);
    public static readonly SearchAttributeRef RunId = new("RunId", IndexedValueType.Keyword);
    public static readonly SearchAttributeRef WorkflowType = new("WorkflowType", IndexedValueType.Keyword);
    public static readonly SearchAttributeRef ExecutionStatus = new("ExecutionStatus", IndexedValueType.Keyword);
    public static readonly SearchAttributeRef TaskQueue = new("TaskQueue", IndexedValueType.Keyword);
    public static readonly SearchAttributeRef StartTime = new("StartTime", IndexedValueType.Datetime);
    public static readonly SearchAttributeRef CloseTime = new("CloseTime", IndexedValueType.Datetime);
    public static readonly SearchAttributeRef ExecutionTime = new("ExecutionTime", IndexedValueType.Datetime);
    /// <summary>Close time minus execution time of a closed run, in nanoseconds (queries may also write it as a duration).</summary>
    public static readonly SearchAttributeRef ExecutionDuration = new("ExecutionDuration", IndexedValueType.Int);
    public static readonly SearchAttributeRef HistoryLength = new("HistoryLength", IndexedValueType.Int);
    public static readonly SearchAttributeRef HistorySizeBytes = new("HistorySizeBytes", IndexedValueType.Int);
    public static readonly SearchAttributeRef ParentWorkflowId = new("ParentWorkflowId", IndexedValueType.Keyword);
    public static readonly SearchAttributeRef ParentRunId = new("ParentRunId", IndexedValueType.Keyword);
    public static readonly SearchAttributeRef RootWorkflowId = new("RootWorkflowId", IndexedValueType.Keyword);
    public static readonly SearchAttributeRef RootRunId = new("RootRunId", IndexedValueType.Keyword);
    public static readonly SearchAttributeRef StateTransitionCount = new("StateTransitionCount", IndexedValueType.Int);

    /// <summary>
    /// Attributes Temporal predefines but keeps with a run's own search attributes (SDKs and Temporal's own
    /// workflows upsert them); reserved like the others and read from the run's search attributes.
    /// </summary>
    private static readonly SearchAttributeRef[] Predefined =
    [
        new("TemporalChangeVersion", IndexedValueType.KeywordList),
        new("BinaryChecksums", IndexedValueType.KeywordList),
        new("BuildIds", IndexedValueType.KeywordList),
        new("BatcherNamespace", IndexedValueType.Keyword),
        new("BatcherUser", IndexedValueType.Keyword),
        new("TemporalScheduledById", IndexedValueType.Keyword),
        new("TemporalScheduledStartTime", IndexedValueType.Datetime),
        new("TemporalSchedulePaused", IndexedValueType.Bool),
    ];

    /// <summary>Name → type of every system attribute.</summary>
    public static readonly IReadOnlyDictionary<string, IndexedValueType> Types = new[]
    {
        WorkflowId, RunId, WorkflowType, ExecutionStatus, TaskQueue, StartTime, CloseTime, ExecutionTime, ExecutionDuration,
        HistoryLength, HistorySizeBytes, StateTransitionCount, ParentWorkflowId, ParentRunId, RootWorkflowId, RootRunId,
    }.Concat(Predefined).ToDictionary(attribute => attribute.Name, attribute => attribute.Type, StringComparer.Ordinal);

    /// <summary>Name → type of the predefined attributes a workflow or client may set.</summary>
    public static readonly IReadOnlyDictionary<string, IndexedValueType> SettableTypes =
        Predefined.ToDictionary(attribute => attribute.Name, attribute => attribute.Type, StringComparer.Ordinal);

    /// <summary>ExecutionStatus values as queries spell them.</summary>
    public static readonly IReadOnlyList<string> StatusNames =
        ["Running", "Completed", "Failed", "Canceled", "Terminated", "ContinuedAsNew", "TimedOut"];

    public static string StatusName(WorkflowExecutionStatus status) => status.ToString();
}
