using System.Text.Encodings.Web;
using System.Text.Json;

namespace Estuary.Cli.Commands;

/// <summary>How the command line writes JSON: indented, and escaped only where JSON requires it (<c>+</c>, <c>&lt;</c>,
/// <c>'</c> and non-ASCII text stay as they are; the output goes to a terminal or a script, never into HTML).</summary>
internal static class CliJson
{
    /// <summary>Gets the serializer options of every JSON document the command line prints.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Serializes a value as the command line prints it.</summary>
    /// <param name="value">The value.</param>
    /// <returns>Indented JSON.</returns>
    public static string Serialize(object? value) => JsonSerializer.Serialize(value, Options);
}
