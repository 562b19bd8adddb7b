using Microsoft.Extensions.Configuration;

namespace Estuary.Temporal.Encryption;

/// <summary>
/// Who may call the codec server (<c>Estuary:Encryption:CodecServer</c>): the access token a caller sends as
/// <c>Authorization: Bearer …</c> (possibly in the file <see cref="EncryptionSecretsFile.Key"/> names), and the web origins
/// (Temporal's UI) allowed to call it from a browser.
/// </summary>
public sealed class CodecServerOptions
{
    /// <summary>The configuration section bound to this class.</summary>
    public const string SectionName = "Estuary:Encryption:CodecServer";

    /// <summary>Gets or sets the token every request must carry as a bearer token; without one the endpoints are not served.</summary>
    public string? AccessToken { get; set; }

    /// <summary>Gets the origins (<c>scheme://host:port</c>) whose pages may call the endpoints.</summary>
    public List<string> AllowedOrigins { get; } = [];

    /// <summary>Reads the options from configuration.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <returns>The options.</returns>
    /// <exception cref="InvalidOperationException">An origin is not an absolute http(s) origin, or the secrets file
    /// (<see cref="EncryptionSecretsFile"/>, where the token may be) cannot be read; the message names the key.</exception>
    public static CodecServerOptions FromConfiguration(IConfiguration configuration)
    {
        var section = EncryptionSecretsFile.Section(configuration).GetSection("CodecServer");
        var options = new CodecServerOptions { AccessToken = section[nameof(AccessToken)] };
        foreach (var origin in section.GetSection(nameof(AllowedOrigins)).GetChildren())
        {
            if (!Uri.TryCreate(origin.Value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
            {
                throw new InvalidOperationException(
                    $"Configuration key '{SectionName}:{nameof(AllowedOrigins)}:{origin.Key}' must be an origin such as http://localhost:8233, got '{origin.Value}'.");
            }

            options.AllowedOrigins.Add(uri.GetLeftPart(UriPartial.Authority));
        }

        return options;
    }
}
