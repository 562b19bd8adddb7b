using System.Globalization;
using System.Text.Json;
using Estuary.DevServer.Deployments;
using Estuary.DevServer.Runs;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Workflow.V1;

namespace Estuary.DevServer.Visibility;

/// <summary>
/// A workflow run as a list query sees it, taken under the run's lock: system attributes from its state, custom ones
/// decoded from their JSON payloads.
/// </summary>
internal sealed class RunVisibilityRecord : IVisibilityRecord
{
    // Sorting reads the same attribute of a run many times; decode each payload once.
    private Dictionary<string, object?>? _custom;

    private RunVisibilityRecord(WorkflowRun run)
    {
        Execution = run.ToExecution();
        WorkflowType = run.Started.WorkflowType.Name;
        Status = run.Status;
        TaskQueue = run.TaskQueue;
        StartTime = run.StartTime;
        CloseTime = run.CloseTime;
        ExecutionTime = run.ExecutionTime;
        HistoryLength = run.History.LastEventId;
        HistorySizeBytes = run.History.SizeBytes;
        Parent = run.Parent;
        Root = run.RootExecution;
        FirstRunId = run.FirstRunId;
        Priority = run.Started.Priority;
        Versioning = run.Versioning;
        // Never changed in place by the run, so the references are a snapshot.
        Memo = run.Memo;
        SearchAttributes = run.SearchAttributes;
    }

    /// <summary>What <paramref name="run"/> shows now.</summary>
    public static RunVisibilityRecord Of(WorkflowRun run)
    {
        lock (run.Gate)
        {
            return new RunVisibilityRecord(run);
        }
    }

    public WorkflowExecution Execution { get; }

    public Priority? Priority { get; }

    public string WorkflowType { get; }

    public WorkflowExecutionStatus Status { get; }

    public string TaskQueue { get; }

    public DateTime StartTime { get; }

    public DateTime? CloseTime { get; }

    public DateTime ExecutionTime { get; }

    public long HistoryLength { get; }

    public long HistorySizeBytes { get; }

    public ParentReference? Parent { get; }

    public WorkflowExecution Root { get; }

    public string FirstRunId { get; }

    public Memo Memo { get; }

    /// <summary>The run's versioning (replaced as a whole when it changes, so a snapshot).</summary>
    public RunVersioning Versioning { get; }

    public SearchAttributes SearchAttributes { get; }

    public object? Get(SearchAttributeRef attribute) => attribute.Name switch
    {
        "WorkflowId" => Execution.WorkflowId,
        "RunId" => Execution.RunId,
        "WorkflowType" => WorkflowType,
        "ExecutionStatus" => SystemSearchAttributes.StatusName(Status),
        "TaskQueue" => TaskQueue,
        "StartTime" => StartTime,
        "CloseTime" => CloseTime,
        "ExecutionTime" => ExecutionTime,
        "ExecutionDuration" => CloseTime is { } closed ? (closed - ExecutionTime).Ticks * 100 : null,
        "HistoryLength" => HistoryLength,
        "HistorySizeBytes" => HistorySizeBytes,
        "StateTransitionCount" => HistoryLength,
        "ParentWorkflowId" => Parent?.Execution.WorkflowId,
        "ParentRunId" => Parent?.Execution.RunId,
        "RootWorkflowId" => Root.WorkflowId,
        "RootRunId" => Root.RunId,
        _ => Custom(attribute),
    };

    /// <summary>What Describe and the list calls report about the run.</summary>
    public WorkflowExecutionInfo ToInfo()
    {
        var info = new WorkflowExecutionInfo
        {
            Execution = Execution.Clone(),
            Type = new Temporalio.Api.Common.V1.WorkflowType { Name = WorkflowType },
            StartTime = Timestamp.FromDateTime(StartTime),
            ExecutionTime = Timestamp.FromDateTime(ExecutionTime),
            Status = Status,
            HistoryLength = HistoryLength,
            HistorySizeBytes = HistorySizeBytes,
            Memo = Memo.Clone(),
            SearchAttributes = SearchAttributes.Clone(),
            TaskQueue = TaskQueue,
            StateTransitionCount = HistoryLength,
            FirstRunId = FirstRunId,
            RootExecution = Root.Clone(),
            Priority = Priority?.Clone(),
        };
        if (Parent is { } parent)
        {
            info.ParentNamespaceId = parent.NamespaceId;
            info.ParentExecution = parent.Execution.Clone();
        }
        if (Versioning.ToInfo() is { } versioning)
        {
            info.VersioningInfo = versioning;
            info.WorkerDeploymentName = Versioning.Version?.Deployment ?? "";
        }
        if (CloseTime is { } closed)
        {
            info.CloseTime = Timestamp.FromDateTime(closed);
            info.ExecutionDuration = Duration.FromTimeSpan(closed - ExecutionTime);
        }
        return info;
    }

    private object? Custom(SearchAttributeRef attribute)
    {
        _custom ??= new Dictionary<string, object?>(StringComparer.Ordinal);
        if (!_custom.TryGetValue(attribute.Name, out var value))
        {
            value = SearchAttributes.IndexedFields.TryGetValue(attribute.Name, out var payload)
                ? Decode(payload.Data.Span, attribute.Type)
                : null;
            _custom[attribute.Name] = value;
        }
        return value;
    }

    /// <summary>Reads a search attribute payload (JSON, as the SDKs write it) as the type it is registered with; null when it does not fit.</summary>
    public static object? Decode(ReadOnlySpan<byte> json, IndexedValueType type)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var element = document.RootElement;
            return (type, element.ValueKind) switch
            {
                (IndexedValueType.KeywordList or IndexedValueType.Keyword, JsonValueKind.Array) =>
                    element.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList(),
                (IndexedValueType.KeywordList, JsonValueKind.String) => new List<string> { element.GetString()! },
                (IndexedValueType.Keyword or IndexedValueType.Text, JsonValueKind.String) => element.GetString(),
                (IndexedValueType.Int, JsonValueKind.Number) => element.TryGetInt64(out var integer) ? integer : null,
                (IndexedValueType.Double, JsonValueKind.Number) => element.GetDouble(),
                (IndexedValueType.Bool, JsonValueKind.True or JsonValueKind.False) => element.GetBoolean(),
                (IndexedValueType.Datetime, JsonValueKind.String) =>
                    DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                        ? time.UtcDateTime
                        : null,
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
