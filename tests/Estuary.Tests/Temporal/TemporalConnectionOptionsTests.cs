using Estuary.Temporal.Configuration;
using Microsoft.Extensions.Configuration;
using Temporalio.Client;
using Temporalio.Common.EnvConfig;
using Temporalio.Converters;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;

namespace Estuary.Tests.Temporal;

public sealed class TemporalConnectionOptionsTests
{
    [Theory]
    [InlineData("localhost:7233")]
    [InlineData("LOCALHOST:7233")]
    [InlineData("127.0.0.1:7233")]
    [InlineData("127.0.0.2:7233")]
    [InlineData("[::1]:7233")]
    public void ToConnectOptions_AutoOnALoopbackAddress_SendsRequestsUncompressed(string address)
    {
        var connect = Read(new() { ["Temporal:Address"] = address }).ToConnectOptions();

        Assert.IsType<GrpcCompression.None>(connect.GrpcCompression);
    }

    [Theory]
    [InlineData("temporal:7233")]
    [InlineData("10.0.0.5:7233")]
    [InlineData("my-ns.tmprl.cloud:7233")]
    public void ToConnectOptions_AutoOnAnotherAddress_KeepsTheSdkDefaultGzip(string address)
    {
        var connect = Read(new() { ["Temporal:Address"] = address }).ToConnectOptions();

        Assert.IsType<GrpcCompression.Gzip>(connect.GrpcCompression);
    }

    [Theory]
    [InlineData("localhost:7233", "gzip", typeof(GrpcCompression.Gzip))]
    [InlineData("temporal:7233", "None", typeof(GrpcCompression.None))]
    [InlineData("temporal:7233", "auto", typeof(GrpcCompression.Gzip))]
    public void ToConnectOptions_CompressionConfigured_UsesIt(string address, string compression, Type expected)
    {
        var connect = Read(new() { ["Temporal:Address"] = address, ["Temporal:Compression"] = compression }).ToConnectOptions();

        Assert.IsType(expected, connect.GrpcCompression);
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("1")]
    [InlineData("")]
    public void FromConfiguration_UnknownCompression_FailsNamingTheKeyAndTheValues(string compression)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(new() { ["Temporal:Compression"] = compression }));

        Assert.Equal($"Configuration key 'Temporal:Compression' must be Auto, Gzip or None, got '{compression}'.", error.Message);
    }

    [Theory]
    [InlineData("http://localhost:7233", "must be host:port, without a scheme, got 'http://localhost:7233' (use localhost:7233)")]
    [InlineData("localhost", "must be host:port, got 'localhost'")]
    [InlineData("localhost:0", "must be host:port, got 'localhost:0'")]
    [InlineData("a/b:7233", "must be host:port, got 'a/b:7233'")]
    public void FromConfiguration_AddressNotHostPort_FailsNamingTheKeyAndWhatToWrite(string address, string problem)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read(new() { ["Temporal:Address"] = address }));

        Assert.Equal($"Configuration key 'Temporal:Address' {problem}.", error.Message);
    }

    [Fact]
    public void FromConfiguration_OnlyTemporalsEnvironment_TakesAddressNamespaceApiKeyAndMetadataFromIt()
    {
        var options = Read([], Environment(new()
        {
            ["TEMPORAL_ADDRESS"] = "temporal.example:7233",
            ["TEMPORAL_NAMESPACE"] = "orders",
            ["TEMPORAL_API_KEY"] = "secret",
            ["TEMPORAL_GRPC_META_X_TEAM"] = "billing",
        }));

        var connect = options.ToConnectOptions();
        Assert.Equal(("temporal.example:7233", "orders", "secret"), (connect.TargetHost, connect.Namespace, connect.ApiKey));
        Assert.NotNull(connect.Tls);
        Assert.Equal("billing", Assert.Single(connect.RpcMetadata!, m => m.Key.Equals("x-team", StringComparison.OrdinalIgnoreCase)).Value);
    }

    [Fact]
    public void FromConfiguration_EstuaryKeysAndTemporalsEnvironment_EstuaryKeysWinValueByValue()
    {
        var options = Read(
            new() { ["Temporal:Address"] = "estuary-key:7233" },
            Environment(new() { ["TEMPORAL_ADDRESS"] = "env:7233", ["TEMPORAL_NAMESPACE"] = "from-env" }));
        var fromConnectionString = Read(
            new() { ["ConnectionStrings:temporal"] = "aspire:7233", ["Temporal:Address"] = "estuary-key:7233" },
            Environment(new() { ["TEMPORAL_ADDRESS"] = "env:7233" }));

        Assert.Equal(("estuary-key:7233", "from-env"), (options.Address, options.Namespace));
        Assert.Equal("aspire:7233", fromConnectionString.Address);
    }

    [Fact]
    public void FromConfiguration_TemporalProfileFile_ReadsTheNamedProfileBelowTheVariables()
    {
        var file = Path.Combine(Path.GetTempPath(), $"temporal-{Guid.NewGuid():N}.toml");
        File.WriteAllText(file, """
            [profile.default]
            address = "default-profile:7233"

            [profile.staging]
            address = "staging:7233"
            namespace = "staging-ns"
            """);
        try
        {
            var staging = Read([], Environment(new() { ["TEMPORAL_CONFIG_FILE"] = file, ["TEMPORAL_PROFILE"] = "staging" }));
            var overridden = Read([], Environment(new() { ["TEMPORAL_CONFIG_FILE"] = file, ["TEMPORAL_PROFILE"] = "staging", ["TEMPORAL_NAMESPACE"] = "env-ns" }));

            Assert.Equal(("staging:7233", "staging-ns"), (staging.Address, staging.Namespace));
            Assert.Equal(("staging:7233", "env-ns"), (overridden.Address, overridden.Namespace));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void FromConfiguration_UnknownTemporalProfile_FailsInOneLine()
    {
        var file = Path.Combine(Path.GetTempPath(), $"temporal-{Guid.NewGuid():N}.toml");
        File.WriteAllText(file, "[profile.default]\naddress = \"default-profile:7233\"\n");
        InvalidOperationException error;
        try
        {
            error = Assert.Throws<InvalidOperationException>(() => Read([], Environment(new() { ["TEMPORAL_CONFIG_FILE"] = file, ["TEMPORAL_PROFILE"] = "nope" })));
        }
        finally
        {
            File.Delete(file);
        }

        Assert.StartsWith("Temporal's client configuration (TEMPORAL_* environment variables, TEMPORAL_PROFILE, the profile file) is invalid: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void FromConfiguration_AddressWithSchemeFromTemporalsEnvironment_NamesTheVariable()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Read([], Environment(new() { ["TEMPORAL_ADDRESS"] = "http://localhost:7233" })));

        Assert.StartsWith("TEMPORAL_ADDRESS (or the Temporal profile's address) must be host:port, without a scheme", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfiguration_Fallback_AppliesOnlyWhereNothingElseSetsAValue()
    {
        var fallback = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Temporal:Address"] = "local:7233",
            ["Temporal:Namespace"] = "local-ns",
        }).Build();

        var alone = TemporalConnectionOptions.FromConfiguration(new ConfigurationBuilder().Build(), new TemporalConnectionSources(null, fallback));
        var belowEnvironment = TemporalConnectionOptions.FromConfiguration(
            new ConfigurationBuilder().Build(),
            Environment(new() { ["TEMPORAL_ADDRESS"] = "env:7233" }) with { Fallback = fallback });

        Assert.Equal(("local:7233", "local-ns"), (alone.Address, alone.Namespace));
        Assert.Equal(("env:7233", "local-ns"), (belowEnvironment.Address, belowEnvironment.Namespace));
    }

    [Fact]
    public void FromConfiguration_NothingSet_DefaultsToLocalhostAndDefaultNamespace()
    {
        var options = Read([]);

        Assert.Equal(("localhost:7233", "default"), (options.Address, options.Namespace));
    }

    [Fact]
    public async Task ToConnectOptions_NothingSaidAboutEncryption_EncryptsWithTheConfiguredActiveKey()
    {
        var connect = Read([]).ToConnectOptions();

        var encoded = Assert.Single(await connect.DataConverter.PayloadCodec!.EncodeAsync([DataConverter.Default.PayloadConverter.ToPayload("a customer's name")]));
        Assert.True(Estuary.Temporal.Encryption.EncryptionPayloadCodec.IsEncrypted(encoded));
        Assert.Equal(TestEncryption.KeyId, encoded.Metadata[Estuary.Temporal.Encryption.EncryptionPayloadCodec.KeyIdMetadata].ToStringUtf8());
    }

    [Fact]
    public void ToConnectOptions_EncryptionOnWithoutAnyKey_OneLineNamingTheMissingKey()
    {
        var options = TemporalConnectionOptions.FromConfiguration(new ConfigurationBuilder().Build(), new TemporalConnectionSources(null));

        var error = Assert.Throws<InvalidOperationException>(() => options.ToConnectOptions());

        Assert.StartsWith("Configuration key 'Estuary:Encryption:ActiveKey' is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToConnectOptions_EncryptionDisabled_NoCodec()
    {
        var connect = Read(new() { ["Estuary:Encryption:Enabled"] = "false" }).ToConnectOptions();

        Assert.Null(connect.DataConverter.PayloadCodec);
    }

    private static TemporalConnectionSources Environment(Dictionary<string, string> variables) =>
        new(new ClientEnvConfig.ProfileLoadOptions { OverrideEnvVars = variables, DisableFile = !variables.ContainsKey("TEMPORAL_CONFIG_FILE") });

    // The machine's own TEMPORAL_* variables and profile file never steer these tests; payloads are encrypted as a worker's are.
    private static TemporalConnectionOptions Read(Dictionary<string, string?> values, TemporalConnectionSources? sources = null) =>
        TemporalConnectionOptions.FromConfiguration(
            new ConfigurationBuilder().AddInMemoryCollection(TestEncryption.Settings).AddInMemoryCollection(values).Build(), sources ?? new TemporalConnectionSources(null));
}
