using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Temporalio.Api.Common.V1;

namespace Estuary.DevServer.Ui.Rendering;

/// <summary>
/// How a payload is shown, in one place: <c>json/plain</c> and <c>json/protobuf</c> as JSON, <c>binary/null</c> as
/// null, anything else (<c>binary/encrypted</c>, <c>binary/protobuf</c>, …) as its encoding and its bytes in base64.
/// Encrypted payloads are decoded before they get here when the UI has a codec endpoint (<see cref="Temporal.RemoteCodec"/>).
/// </summary>
internal static class PayloadRenderer
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The payload's <c>encoding</c> metadata (empty when missing).</summary>
    public static string Encoding(Payload payload) =>
        payload.Metadata.TryGetValue("encoding", out var encoding) ? encoding.ToStringUtf8() : "";

    /// <summary>Decodes a JSON payload; false for other encodings and for JSON encodings whose bytes are not JSON.</summary>
    public static bool TryDecode(Payload payload, out JsonNode? value)
    {
        value = null;
        switch (Encoding(payload))
        {
            case "binary/null":
                return true;
            case "json/plain" or "json/protobuf":
                try
                {
                    value = JsonNode.Parse(payload.Data.Span);
                    return true;
                }
                catch (JsonException)
                {
                    return false;
                }
            default:
                return false;
        }
    }

    /// <summary>The payload as a JSON value: its decoded value, or <c>{"encoding": …, "data": base64}</c> when it is not JSON.</summary>
    public static JsonNode? ToJson(Payload payload)
    {
        if (TryDecode(payload, out var value))
        {
            return value;
        }
        var raw = new JsonObject { ["encoding"] = Encoding(payload) };
        if (payload.Metadata.TryGetValue("messageType", out var messageType))
        {
            raw["messageType"] = messageType.ToStringUtf8();
        }
        raw["data"] = Convert.ToBase64String(payload.Data.Span);
        return raw;
    }

    /// <summary>The payload as indented JSON, or a line naming its encoding followed by its bytes in base64.</summary>
    public static string ToText(Payload payload) => TryDecode(payload, out var value)
        ? value?.ToJsonString(Indented) ?? "null"
        : $"{Describe(payload)}\n{Convert.ToBase64String(payload.Data.Span)}";

    /// <summary>The payloads one after the other as compact JSON on one line, cut at <paramref name="max"/> characters.</summary>
    public static string Preview(Payloads? payloads, int max = 120) =>
        payloads is null ? "" : Cut(string.Join(" ", payloads.Payloads_.Select(Compact)), max);

    /// <summary>One payload as compact JSON on one line, cut at <paramref name="max"/> characters.</summary>
    public static string Preview(Payload payload, int max = 120) => Cut(Compact(payload), max);

    /// <summary>
    /// The payloads as the input text the UI's forms accept (one compact JSON value per line), or null when one of
    /// them is not JSON and so cannot be typed back in.
    /// </summary>
    public static string? ToInputText(Payloads? payloads)
    {
        var lines = new StringBuilder();
        foreach (var payload in payloads?.Payloads_ ?? [])
        {
            if (!TryDecode(payload, out var value))
            {
                return null;
            }
            lines.Append(value?.ToJsonString() ?? "null").Append('\n');
        }
        return lines.ToString().TrimEnd('\n');
    }

    private static string Compact(Payload payload)
    {
        // SDKs write compact JSON: show it as it is when it is valid and on one line (no need to build a DOM).
        if (Encoding(payload) is "json/plain" or "json/protobuf" && payload.Data.Span.IndexOfAny((byte)'\n', (byte)'\r') < 0 && IsValidJson(payload.Data.Span))
        {
            return payload.Data.ToStringUtf8();
        }
        return TryDecode(payload, out var value) ? value?.ToJsonString() ?? "null" : Describe(payload);
    }

    private static bool IsValidJson(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        try
        {
            while (reader.Read())
            {
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>e.g. <c>[encrypted (binary/encrypted), 48 bytes]</c>.</summary>
    private static string Describe(Payload payload)
    {
        var encoding = Encoding(payload);
        var kind = encoding switch
        {
            "binary/encrypted" => "encrypted (binary/encrypted)",
            "" => "no encoding",
            _ => encoding,
        };
        return $"[{kind}, {payload.Data.Length} bytes]";
    }

    private static string Cut(string text, int max) =>
        text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
