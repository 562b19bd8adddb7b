using Estuary.DevServer.Grpc;
using Estuary.DevServer.Visibility;
using Temporalio.Api.Command.V1;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.OperatorService.V1;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    /// <summary>Parses a search attribute type as the CLI spells it (<c>Keyword</c>, <c>Text</c>, <c>Int</c>, …).</summary>
    public static IndexedValueType ParseSearchAttributeType(string text) => text.ToUpperInvariant() switch
    {
        "TEXT" => IndexedValueType.Text,
        "KEYWORD" => IndexedValueType.Keyword,
        "INT" => IndexedValueType.Int,
        "DOUBLE" => IndexedValueType.Double,
        "BOOL" => IndexedValueType.Bool,
        "DATETIME" => IndexedValueType.Datetime,
        "KEYWORDLIST" or "KEYWORD_LIST" => IndexedValueType.KeywordList,
        _ => throw new FormatException($"Unknown search attribute type '{text}' (expected Text, Keyword, Int, Double, Bool, Datetime or KeywordList)."),
    };

    /// <summary>
    /// Temporal's check of search attributes a client or workflow sets: each must be registered (or one of the
    /// settable predefined ones) and its value must decode as the registered type. Returns Temporal's message
    /// for the first bad one, or null. Caller holds the gate.
    /// </summary>
    private string? InvalidSearchAttributes(SearchAttributes? attributes)
    {
        if (attributes is null)
        {
            return null;
        }
        foreach (var (name, payload) in attributes.IndexedFields)
        {
            IndexedValueType type;
            if (SystemSearchAttributes.SettableTypes.TryGetValue(name, out var predefined))
            {
                type = predefined;
            }
            else if (SystemSearchAttributes.Types.ContainsKey(name))
            {
                return $"{name} attribute can't be set in SearchAttributes";
            }
            else if (!_searchAttributes.TryGetValue(name, out type))
            {
                return $"search attribute {name} is not defined";
            }
            var json = payload.Data.ToStringUtf8().Trim();
            // An empty value unsets the attribute.
            if (json.Length == 0 || json is "null" or "[]")
            {
                continue;
            }
            if (RunVisibilityRecord.Decode(payload.Data.Span, type) is null)
            {
                return $"invalid value for search attribute {name} of type {type}: {ShownValue(json)}";
            }
        }
        return null;
    }

    /// <summary>Throws InvalidArgument when <see cref="InvalidSearchAttributes"/> finds a bad attribute.</summary>
    private void ValidateSearchAttributes(SearchAttributes? attributes)
    {
        if (InvalidSearchAttributes(attributes) is { } message)
        {
            throw RpcErrors.InvalidArgument(message);
        }
    }

    /// <summary>The first bad search attribute set by a workflow task's commands (upsert, child start, continue-as-new), or null.</summary>
    private string? InvalidSearchAttributesInCommands(IEnumerable<Command> commands)
    {
        foreach (var command in commands)
        {
            var attributes = command.CommandType switch
            {
                CommandType.UpsertWorkflowSearchAttributes => command.UpsertWorkflowSearchAttributesCommandAttributes?.SearchAttributes,
                CommandType.StartChildWorkflowExecution => command.StartChildWorkflowExecutionCommandAttributes?.SearchAttributes,
                CommandType.ContinueAsNewWorkflowExecution => command.ContinueAsNewWorkflowExecutionCommandAttributes?.SearchAttributes,
                _ => null,
            };
            if (InvalidSearchAttributes(attributes) is { } message)
            {
                return message;
            }
        }
        return null;
    }

    // Shown as Temporal prints the decoded value: strings without their quotes.
    private static string ShownValue(string json) =>
        json.Length >= 2 && json[0] == '"' && json[^1] == '"' ? json[1..^1] : json;

    public AddSearchAttributesResponse AddSearchAttributes(AddSearchAttributesRequest request)
    {
        lock (_gate)
        {
            foreach (var (name, type) in request.SearchAttributes)
            {
                if (SystemSearchAttributes.Types.ContainsKey(name))
                {
                    throw RpcErrors.InvalidArgument($"Search attribute {name} is reserved by the system.");
                }
                _searchAttributes[name] = type;
            }
            return new AddSearchAttributesResponse();
        }
    }

    public ListSearchAttributesResponse ListSearchAttributes(ListSearchAttributesRequest request)
    {
        lock (_gate)
        {
            var response = new ListSearchAttributesResponse();
            foreach (var (name, type) in _searchAttributes)
            {
                response.CustomAttributes[name] = type;
            }
            foreach (var (name, type) in SystemSearchAttributes.Types)
            {
                response.SystemAttributes[name] = type;
            }
            return response;
        }
    }

    public RemoveSearchAttributesResponse RemoveSearchAttributes(RemoveSearchAttributesRequest request)
    {
        lock (_gate)
        {
            foreach (var name in request.SearchAttributes)
            {
                if (!_searchAttributes.Remove(name))
                {
                    throw RpcErrors.NotFound($"Search attribute {name} doesn't exist.");
                }
            }
            return new RemoveSearchAttributesResponse();
        }
    }
}
