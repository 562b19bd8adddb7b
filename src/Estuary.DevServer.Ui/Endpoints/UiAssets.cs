using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Estuary.DevServer.Ui.Endpoints;

/// <summary>The UI's stylesheet and script, embedded in the assembly and served with a content hash in their URL.</summary>
internal static class UiAssets
{
    private const string Prefix = "Estuary.DevServer.Ui.Assets.";

    private static readonly FrozenDictionary<string, (byte[] Content, string Version)> Files = Load();

    /// <summary>The URL of an asset; it changes whenever its content does, so browsers may keep it forever.</summary>
    public static string Url(string name) => $"/_ui/{name}?v={Files[name].Version}";

    /// <summary>Serves <c>/_ui/{name}</c>.</summary>
    public static IResult Serve(string name, HttpContext context)
    {
        if (!Files.TryGetValue(name, out var file))
        {
            return Results.NotFound();
        }
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        var contentType = name.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
        return Results.Bytes(file.Content, contentType);
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(UiAssets).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            files[resource[Prefix.Length..]] = (content, Convert.ToHexStringLower(SHA256.HashData(content))[..12]);
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
