using System.Globalization;
using System.Text.Json;
using Estuary.DevServer.State;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Visibility;

/// <summary>A workflow run as a query sees it: system attributes from its state, custom ones decoded from their JSON payloads.</summary>
internal sealed class RunVisibilityRecord(WorkflowRun run) : IVisibilityRecord
{
    // Sorting reads the same attribute of a run many times; decode each payload once.
    private Dictionary<string, object?>? _custom;

    public WorkflowRun Run => run;

    public object? Get(SearchAttributeRef attribute) => attribute.Name switch
    {
        "WorkflowId" => run.WorkflowId,
        "RunId" => run.RunId,
        "WorkflowType" => run.Started.WorkflowType.Name,
        "ExecutionStatus" => SystemSearchAttributes.StatusName(run.Status),
        "TaskQueue" => run.TaskQueue,
        "StartTime" => run.StartTime,
        "CloseTime" => run.CloseTime,
        "ExecutionTime" => run.ExecutionTime,
        "ExecutionDuration" => run.CloseTime is { } closed ? (closed - run.ExecutionTime).Ticks * 100 : null,
        "HistoryLength" => run.History.LastEventId,
        "HistorySizeBytes" => run.History.SizeBytes,
        "StateTransitionCount" => run.History.LastEventId,
        "ParentWorkflowId" => run.ParentLink?.Parent.WorkflowId,
        "ParentRunId" => run.ParentLink?.Parent.RunId,
        "RootWorkflowId" => Root(run).WorkflowId,
        "RootRunId" => Root(run).RunId,
        _ => Custom(attribute),
    };

    /// <summary>The run at the top of a chain of parents (a run without a parent is its own root, as in Temporal).</summary>
    public static WorkflowRun Root(WorkflowRun run)
    {
        while (run.ParentLink is { } link)
        {
            run = link.Parent;
        }
        return run;
    }

    private object? Custom(SearchAttributeRef attribute)
    {
        _custom ??= new Dictionary<string, object?>(StringComparer.Ordinal);
        if (!_custom.TryGetValue(attribute.Name, out var value))
        {
            value = run.SearchAttributes.IndexedFields.TryGetValue(attribute.Name, out var payload)
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
