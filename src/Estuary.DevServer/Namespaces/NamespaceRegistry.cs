using System.Collections.Concurrent;
using System.Collections.Immutable;
using Estuary.DevServer.Grpc;
using Estuary.DevServer.Store;
using Estuary.DevServer.Visibility;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Namespaces;

/// <summary>The server's namespaces and its (server-wide) registered search attributes.</summary>
internal sealed class NamespaceRegistry
{
    private readonly ConcurrentDictionary<string, NamespaceEntry> _namespaces = new(StringComparer.Ordinal);
    private ImmutableDictionary<string, IndexedValueType> _searchAttributes = ImmutableDictionary.Create<string, IndexedValueType>(StringComparer.Ordinal);
    private readonly object _searchAttributesLock = new();

    public IEnumerable<NamespaceEntry> All => _namespaces.Values;

    /// <summary>The registered custom search attributes (a snapshot).</summary>
    public ImmutableDictionary<string, IndexedValueType> SearchAttributes => Volatile.Read(ref _searchAttributes);

    /// <summary>The namespace named in a request; InvalidArgument when unset, NotFound when unknown.</summary>
    public NamespaceEntry Get(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw RpcErrors.InvalidArgument("Namespace not set on request.");
        }
        return _namespaces.TryGetValue(name, out var ns) ? ns : throw RpcErrors.NamespaceNotFound(name);
    }

    public NamespaceEntry? Find(string name) => _namespaces.TryGetValue(name, out var ns) ? ns : null;

    public NamespaceEntry? FindById(string id) => _namespaces.Values.FirstOrDefault(n => n.Id == id);

    /// <summary>Adds a namespace; false when the name is taken.</summary>
    public bool TryAdd(NamespaceEntry ns) => _namespaces.TryAdd(ns.Name, ns);

    public static NamespaceEntry New(string name, TimeSpan retention) =>
        new() { Name = name, Id = Guid.NewGuid().ToString(), Retention = retention };

    /// <summary>Every namespace as the store keeps it.</summary>
    public List<StoredNamespace> Capture() =>
        _namespaces.Values.Select(ns =>
        {
            lock (ns.SettingsLock)
            {
                return new StoredNamespace(ns.Name, ns.Id, ns.Retention, ns.Description, ns.OwnerEmail, new Dictionary<string, string>(ns.Data, StringComparer.Ordinal));
            }
        }).ToList();

    /// <summary>Changes the search attribute registry atomically.</summary>
    public void UpdateSearchAttributes(Func<ImmutableDictionary<string, IndexedValueType>, ImmutableDictionary<string, IndexedValueType>> change)
    {
        lock (_searchAttributesLock)
        {
            Volatile.Write(ref _searchAttributes, change(_searchAttributes));
        }
    }

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

    /// <summary>The type of a system or registered attribute, or null.</summary>
    public IndexedValueType? SearchAttributeType(string name) =>
        SystemSearchAttributes.Types.TryGetValue(name, out var system) ? system
        : SearchAttributes.TryGetValue(name, out var custom) ? custom
        : null;

    /// <summary>
    /// Temporal's check of search attributes a client or workflow sets: each must be registered (or one of the
    /// settable predefined ones) and its value must decode as the registered type. Returns Temporal's message
    /// for the first bad one, or null.
    /// </summary>
    public string? InvalidSearchAttributes(SearchAttributes? attributes)
    {
        if (attributes is null)
        {
            return null;
        }
        var registered = SearchAttributes;
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
            else if (!registered.TryGetValue(name, out type))
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
    public void ValidateSearchAttributes(SearchAttributes? attributes)
    {
        if (InvalidSearchAttributes(attributes) is { } message)
        {
            throw RpcErrors.InvalidArgument(message);
        }
    }

    // Shown as Temporal prints the decoded value: strings without their quotes.
    private static string ShownValue(string json) =>
        json.Length >= 2 && json[0] == '"' && json[^1] == '"' ? json[1..^1] : json;
}
