using Microsoft.Extensions.Configuration;

namespace Estuary.Temporal.Encryption;

/// <summary>
/// Payload encryption keys, bound from <c>Estuary:Encryption</c>: <c>Enabled</c>, <c>ActiveKey</c> (the id new payloads
/// are encrypted with) and <c>Keys:&lt;id&gt;</c> (each a base64 AES-256 key of 32 bytes), the keys possibly in the file
/// <see cref="EncryptionSecretsFile.Key"/> names. Retired keys stay listed so that payloads written under them still decrypt.
/// </summary>
public sealed class EncryptionOptions
{
    /// <summary>The configuration section bound to this class.</summary>
    public const string SectionName = "Estuary:Encryption";

    /// <summary>Gets or sets a value indicating whether payloads are encrypted (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets the id of the key that encrypts new payloads.</summary>
    public string? ActiveKey { get; set; }

    /// <summary>Gets the keys by id, each base64 of 32 bytes.</summary>
    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);

    /// <summary>Reads the options from configuration and, unless told not to, validates them.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="validate">Whether to check the keys now (<see cref="Validate"/>); <see cref="CreateCodec"/> checks them anyway.</param>
    /// <returns>The options.</returns>
    /// <exception cref="InvalidOperationException">A value is invalid, or the secrets file cannot be read; the message names the
    /// configuration key, never a key's value.</exception>
    public static EncryptionOptions FromConfiguration(IConfiguration configuration, bool validate = true)
    {
        var section = EncryptionSecretsFile.Section(configuration);
        var options = new EncryptionOptions();
        if (section[nameof(Enabled)] is { } enabled)
        {
            options.Enabled = bool.TryParse(enabled, out var value) ? value
                : throw new InvalidOperationException($"Configuration key '{SectionName}:{nameof(Enabled)}' must be true or false, got '{enabled}'.");
        }

        options.ActiveKey = section[nameof(ActiveKey)];
        foreach (var key in section.GetSection(nameof(Keys)).GetChildren())
        {
            options.Keys[key.Key] = key.Value ?? string.Empty;
        }

        if (validate)
        {
            options.Validate();
        }

        return options;
    }

    /// <summary>Checks every value when encryption is enabled; the message names the key id, never its value.</summary>
    /// <exception cref="InvalidOperationException">A value is invalid.</exception>
    public void Validate()
    {
        if (!Enabled)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(ActiveKey))
        {
            throw new InvalidOperationException(
                $"Configuration key '{SectionName}:{nameof(ActiveKey)}' is not set: name the key that encrypts payloads, or set '{SectionName}:{nameof(Enabled)}' to false.");
        }

        if (!Keys.ContainsKey(ActiveKey))
        {
            throw new InvalidOperationException(
                $"Configuration key '{SectionName}:{nameof(ActiveKey)}' names key '{ActiveKey}', but '{SectionName}:{nameof(Keys)}:{ActiveKey}' is not set.");
        }

        foreach (var (id, value) in Keys)
        {
            if (!PayloadKeyRing.IsValidKeyId(id))
            {
                throw new InvalidOperationException(
                    $"Configuration key '{SectionName}:{nameof(Keys)}:{id}': a key id is 1 to 64 letters, digits, '-', '_' or '.'.");
            }

            if (PayloadKeyRing.ParseKey(value) is null)
            {
                throw new InvalidOperationException(
                    $"Configuration key '{SectionName}:{nameof(Keys)}:{id}' must be base64 of 32 bytes (an AES-256 key).");
            }
        }
    }

    /// <summary>The codec these options describe, or null when encryption is disabled.</summary>
    /// <returns>A codec that encrypts with <see cref="ActiveKey"/> and decrypts with any of <see cref="Keys"/>.</returns>
    public EncryptionPayloadCodec? CreateCodec()
    {
        Validate();
        return Enabled
            ? new EncryptionPayloadCodec(new PayloadKeyRing(ActiveKey!, Keys.ToDictionary(k => k.Key, k => PayloadKeyRing.ParseKey(k.Value)!)))
            : null;
    }
}
