using Estuary.Temporal.Encryption;
using Microsoft.Extensions.Configuration;

namespace Estuary.Tests.Encryption;

/// <summary>Keys and the codec token read from <c>Estuary:Encryption:SecretsFile</c>, as the AppHost hands them to its workers.</summary>
public sealed class EncryptionSecretsFileTests : IDisposable
{
    private static readonly string KeyA = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string KeyB = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"estuary-secrets-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_file);

    private IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(
            values.Append((Key: "Estuary:Encryption:SecretsFile", Value: _file)).Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void FromConfiguration_KeysAndTokenInTheFile_CodecAndCodecServerUseThem()
    {
        File.WriteAllText(_file, $$"""{ "Keys": { "k1": "{{KeyA}}" }, "CodecServer": { "AccessToken": "token-from-file" } }""");
        var configuration = Configuration(("Estuary:Encryption:ActiveKey", "k1"), ("Estuary:Encryption:CodecServer:AllowedOrigins:0", "http://localhost:8233"));

        var codec = EncryptionOptions.FromConfiguration(configuration).CreateCodec();
        var server = CodecServerOptions.FromConfiguration(configuration);

        Assert.NotNull(codec);
        Assert.Equal(["k1"], codec.Keys.KeyIds);
        Assert.Equal("token-from-file", server.AccessToken);
        Assert.Equal(["http://localhost:8233"], server.AllowedOrigins);
    }

    [Fact]
    public void FromConfiguration_KeyInConfigurationAndFile_ConfigurationWins()
    {
        File.WriteAllText(_file, $$"""{ "Keys": { "k1": "{{KeyA}}", "k0": "{{KeyA}}" } }""");

        var options = EncryptionOptions.FromConfiguration(Configuration(("Estuary:Encryption:ActiveKey", "k1"), ("Estuary:Encryption:Keys:k1", KeyB)));

        Assert.Equal(KeyB, options.Keys["k1"]);
        Assert.Equal(KeyA, options.Keys["k0"]);
    }

    [Theory]
    [InlineData(null, "which does not exist")]
    [InlineData("not json", "which is not a JSON object of 'Estuary:Encryption' values")]
    public void FromConfiguration_FileMissingOrNotJson_OneLineNamingTheKeyAndTheFile(string? content, string expected)
    {
        if (content is not null)
        {
            File.WriteAllText(_file, content);
        }

        var error = Assert.Throws<InvalidOperationException>(() => EncryptionOptions.FromConfiguration(Configuration(("Estuary:Encryption:ActiveKey", "k1"))));

        Assert.Equal($"Configuration key 'Estuary:Encryption:SecretsFile' names '{_file}', {expected}.", error.Message);
    }
}
