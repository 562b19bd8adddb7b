using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;

namespace Estuary.DevServer.Ui.Rendering;

/// <summary>
/// A Temporal API message (a history event, a pending activity) as JSON for people: the fields that are set, in
/// proto order with their JSON names, enums by name, timestamps in ISO 8601, and payloads decoded by
/// <see cref="PayloadRenderer"/> instead of shown as base64.
/// </summary>
internal static class ProtoJson
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The message as indented JSON text.</summary>
    public static string ToText(IMessage message) => ToJson(message).ToJsonString(Indented);

    /// <summary>The message as a JSON object.</summary>
    public static JsonObject ToJson(IMessage message)
    {
        var json = new JsonObject();
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(message);
            JsonNode? node;
            if (field.IsMap)
            {
                var map = (IDictionary)value;
                if (map.Count == 0)
                {
                    continue;
                }
                var valueField = field.MessageType.FindFieldByNumber(2);
                var entries = new JsonObject();
                foreach (DictionaryEntry entry in map)
                {
                    entries[Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!] = Value(valueField, entry.Value);
                }
                node = entries;
            }
            else if (field.IsRepeated)
            {
                var list = (IList)value;
                if (list.Count == 0)
                {
                    continue;
                }
                var items = new JsonArray();
                foreach (var item in list)
                {
                    items.Add(Value(field, item));
                }
                node = items;
            }
            else if (field.HasPresence ? !field.Accessor.HasValue(message) : IsDefault(value))
            {
                continue;
            }
            else
            {
                node = Value(field, value);
            }
            json[field.JsonName] = node;
        }
        return json;
    }

    private static JsonNode? Value(FieldDescriptor field, object? value) => value switch
    {
        null => null,
        Payload payload => PayloadRenderer.ToJson(payload),
        Payloads payloads => new JsonArray([.. payloads.Payloads_.Select(PayloadRenderer.ToJson)]),
        Timestamp timestamp => timestamp.ToDateTime().ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture),
        Duration duration => FormatDuration(duration),
        IMessage message => ToJson(message),
        ByteString bytes => Convert.ToBase64String(bytes.Span),
        string text => text,
        bool flag => flag,
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        uint u => JsonValue.Create(u),
        ulong ul => JsonValue.Create(ul),
        float f when float.IsFinite(f) => JsonValue.Create(f),
        double d when double.IsFinite(d) => JsonValue.Create(d),
        System.Enum e when field.FieldType == FieldType.Enum => e.ToString(),
        _ => JsonValue.Create(value.ToString()),
    };

    private static bool IsDefault(object? value) => value switch
    {
        null => true,
        string text => text.Length == 0,
        ByteString bytes => bytes.IsEmpty,
        bool flag => !flag,
        int i => i == 0,
        long l => l == 0,
        uint u => u == 0,
        ulong ul => ul == 0,
        float f => f == 0,
        double d => d == 0,
        System.Enum e => Convert.ToInt64(e, CultureInfo.InvariantCulture) == 0,
        _ => false,
    };

    /// <summary>As proto JSON writes durations: seconds with a trailing s (<c>10s</c>, <c>0.250s</c>).</summary>
    public static string FormatDuration(Duration duration) =>
        duration.ToTimeSpan().TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
}
