using Estuary.DevServer.Grpc;
using Estuary.DevServer.Visibility;
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
