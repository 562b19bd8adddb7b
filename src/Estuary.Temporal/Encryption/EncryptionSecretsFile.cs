using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Estuary.Temporal.Encryption;

/// <summary>
/// The <c>Estuary:Encryption</c> section with the secrets file <c>Estuary:Encryption:SecretsFile</c> beneath it: a JSON
/// file of that section's values (<c>{"Keys": {"k1": "…"}, "CodecServer": {"AccessToken": "…"}}</c>), so that keys reach a
/// process without being in its environment, where the Aspire dashboard and <c>/proc/&lt;pid&gt;/environ</c> show them.
/// Values given in configuration itself win over the file's.
/// </summary>
public static class EncryptionSecretsFile
{
    /// <summary>The configuration key naming the file.</summary>
    public const string Key = EncryptionOptions.SectionName + ":SecretsFile";

    /// <summary>Reads the <c>Estuary:Encryption</c> section, with the secrets file's values when one is named.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <returns>The section: keys relative to <c>Estuary:Encryption</c>.</returns>
    /// <exception cref="InvalidOperationException">The file is named but missing or not a JSON object; the message names the key and the file.</exception>
    public static IConfiguration Section(IConfiguration configuration)
    {
        var section = configuration.GetSection(EncryptionOptions.SectionName);
        if (configuration[Key] is not { Length: > 0 } path)
        {
            return section;
        }

        var file = Path.GetFullPath(path);
        IConfiguration secrets;
        try
        {
            secrets = new ConfigurationBuilder().AddJsonFile(file, optional: false, reloadOnChange: false).Build();
        }
        catch (FileNotFoundException)
        {
            throw new InvalidOperationException($"Configuration key '{Key}' names '{file}', which does not exist.");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or JsonException)
        {
            throw new InvalidOperationException($"Configuration key '{Key}' names '{file}', which is not a JSON object of '{EncryptionOptions.SectionName}' values.");
        }

        return new ConfigurationBuilder().AddConfiguration(secrets).AddConfiguration(section).Build();
    }
}
