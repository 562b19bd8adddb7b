using Estuary.Temporal.Encryption;
using Microsoft.Extensions.Configuration;

namespace Estuary.Tests.Encryption;

public sealed class EncryptionOptionsTests
{
    private static readonly string KeyA = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string KeyB = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void FromConfiguration_ActiveAndRetiredKeys_CodecEncryptsWithTheActiveOne()
    {
        var options = EncryptionOptions.FromConfiguration(Configuration(
            ("Estuary:Encryption:ActiveKey", "2026-12"),
            ("Estuary:Encryption:Keys:2026-12", KeyB),
            ("Estuary:Encryption:Keys:2026-06", KeyA)));

        var codec = options.CreateCodec();

        Assert.NotNull(codec);
        Assert.Equal("2026-12", codec.Keys.ActiveKeyId);
        Assert.Equal(["2026-06", "2026-12"], codec.Keys.KeyIds.Order());
    }

    [Fact]
    public void FromConfiguration_Disabled_NoCodecAndNoKeysNeeded()
    {
        var options = EncryptionOptions.FromConfiguration(Configuration(("Estuary:Encryption:Enabled", "false")));

        Assert.Null(options.CreateCodec());
    }

    [Theory]
    [InlineData("", "'Estuary:Encryption:ActiveKey' is not set")]
    [InlineData("missing", "names key 'missing', but 'Estuary:Encryption:Keys:missing' is not set")]
    public void FromConfiguration_NoUsableActiveKey_OneLineNamingTheKey(string active, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => EncryptionOptions.FromConfiguration(Configuration(
            ("Estuary:Encryption:ActiveKey", active),
            ("Estuary:Encryption:Keys:a", KeyA))));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==")]
    public void FromConfiguration_KeyNotThirtyTwoBytesOfBase64_NamesTheKeyIdButNeverItsValue(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => EncryptionOptions.FromConfiguration(Configuration(
            ("Estuary:Encryption:ActiveKey", "a"),
            ("Estuary:Encryption:Keys:a", value))));

        Assert.Contains("'Estuary:Encryption:Keys:a' must be base64 of 32 bytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfiguration_EnabledNotABoolean_NamesTheKey()
    {
        var error = Assert.Throws<InvalidOperationException>(() => EncryptionOptions.FromConfiguration(Configuration(("Estuary:Encryption:Enabled", "yes"))));

        Assert.Contains("'Estuary:Encryption:Enabled' must be true or false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NewKey_Twice_TwoDifferentValidKeys()
    {
        var first = PayloadKeyRing.NewKey();
        var second = PayloadKeyRing.NewKey();

        Assert.NotNull(PayloadKeyRing.ParseKey(first));
        Assert.NotNull(PayloadKeyRing.ParseKey(second));
        Assert.NotEqual(first, second);
    }
}
