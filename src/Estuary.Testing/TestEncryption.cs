using Estuary.Temporal.Encryption;
using Temporalio.Converters;

namespace Estuary.Testing;

/// <summary>
/// The payload encryption key of a test run, so tests exercise workers as they run in production (encryption on):
/// a fresh AES-256 key per test process under the id <see cref="KeyId"/>. <see cref="WorkerHost"/> configures it on
/// every worker it builds; a test's own client uses <see cref="DataConverter"/> to read what those workers write.
/// </summary>
public static class TestEncryption
{
    /// <summary>The id of the test key.</summary>
    public const string KeyId = "test";

    /// <summary>Gets the test key, base64 of 32 random bytes.</summary>
    public static string Key { get; } = PayloadKeyRing.NewKey();

    /// <summary>Gets the configuration keys that turn encryption on with the test key.</summary>
    public static IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        [$"{EncryptionOptions.SectionName}:{nameof(EncryptionOptions.ActiveKey)}"] = KeyId,
        [$"{EncryptionOptions.SectionName}:{nameof(EncryptionOptions.Keys)}:{KeyId}"] = Key,
    };

    /// <summary>Gets encryption options holding the test key.</summary>
    public static EncryptionOptions Options
    {
        get
        {
            var options = new EncryptionOptions { ActiveKey = KeyId };
            options.Keys[KeyId] = Key;
            return options;
        }
    }

    /// <summary>Gets the SDK's default data converter with the test key's codec, for clients and replayers.</summary>
    public static DataConverter DataConverter { get; } = DataConverter.Default with { PayloadCodec = Options.CreateCodec() };
}
