using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Temporalio.Api.Common.V1;

namespace Estuary.DevServer.Ui.Rendering;

/// <summary>
/// Reads the arguments typed into an action's form: JSON values one after the other (<c>"Ada" 3</c>, or one per
/// line), each one argument, sent as a <c>json/plain</c> payload as the SDKs' default converter writes them.
/// </summary>
internal static class JsonArguments
{
    private static readonly ByteString JsonPlain = ByteString.CopyFromUtf8("json/plain");

    /// <summary>Parses <paramref name="text"/>; on invalid JSON returns null and a message naming the problem and where it is.</summary>
    public static Payloads? Parse(string? text, string what, out string? error)
    {
        error = null;
        var payloads = new Payloads();
        if (string.IsNullOrWhiteSpace(text))
        {
            return payloads;
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            while (reader.Read())
            {
                using var value = JsonDocument.ParseValue(ref reader);
                var payload = new Payload { Data = ByteString.CopyFromUtf8(value.RootElement.GetRawText()) };
                payload.Metadata["encoding"] = JsonPlain;
                payloads.Payloads_.Add(payload);
            }
        }
        catch (JsonException e)
        {
            error = $"{what} is not valid JSON: {Describe(e)} Write each argument as a JSON value, e.g. \"text\", 42 or {{\"id\": 1}}.";
            return null;
        }
        return payloads;
    }

    /// <summary>The reader's message without its internal position suffix, and the position counted from 1.</summary>
    private static string Describe(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }
        message = message.TrimEnd('.', ' ');
        return e.LineNumber is { } line && e.BytePositionInLine is { } column
            ? $"{message} (line {line + 1}, position {column + 1})."
            : $"{message}.";
    }
}
