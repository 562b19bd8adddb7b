using Estuary.Cli;
using Estuary.Temporal.Configuration;
using Microsoft.Extensions.Configuration;
using Temporalio.Common.EnvConfig;

namespace Estuary.Tests.Commands;

/// <summary>What <c>estuary</c> takes from a local AppHost's endpoints file (the AppHost tests cover the file it writes).</summary>
public sealed class LocalEndpointsFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("estuary-endpoints-").FullName;

    private string FilePath => Path.Combine(_directory, "state", "estuary", "local.json");

    [Fact]
    public void BuildConfiguration_FileOfRunningAppHost_TemporalAndOtlpFromIt()
    {
        LocalEndpoints.OfCurrentProcess(
            new LocalTemporal("localhost:17233", "estuary-local", "http://localhost:18233"),
            new LocalOtlp("http://localhost:19081", "grpc", "x-otlp-api-key=secret"),
            dashboard: null).Write(FilePath);

        var configuration = CliHost.BuildConfiguration(FilePath);
        var sources = CliHost.TemporalSources(FilePath) with { Environment = null };

        var temporal = TemporalConnectionOptions.FromConfiguration(configuration, sources);
        Assert.Equal("localhost:17233", temporal.Address);
        Assert.Equal("estuary-local", temporal.Namespace);
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(LocalOtlp.EndpointKey)))
        {
            Assert.Equal("http://localhost:19081", configuration[LocalOtlp.EndpointKey]);
            Assert.Equal("grpc", configuration[LocalOtlp.ProtocolKey]);
            Assert.Equal("x-otlp-api-key=secret", configuration[LocalOtlp.HeadersKey]);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(FilePath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(FilePath)!));
        }
    }

    [Fact]
    public void EncryptionConfiguration_KeysInTheNamedUserSecrets_ActiveAndRetiredKeysFromThem()
    {
        var secrets = Path.Combine(_directory, "secrets.json");
        File.WriteAllText(secrets, """{ "Parameters:payload-key-k2": "two", "Parameters": { "payload-key-k1": "one" }, "Parameters:payload-key-k3": "three" }""");
        var endpoints = LocalEndpoints.OfCurrentProcess(new LocalTemporal("localhost:17233", "default", null), null, null,
            new LocalEncryption(true, "apphost-id", "k2", ["k1"]));

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(endpoints.EncryptionConfiguration(id => id == "apphost-id" ? secrets : Path.Combine(_directory, "other.json")))
            .Build();

        Assert.Equal("k2", configuration["Estuary:Encryption:ActiveKey"]);
        Assert.Equal("two", configuration["Estuary:Encryption:Keys:k2"]);
        Assert.Equal("one", configuration["Estuary:Encryption:Keys:k1"]);
        Assert.Null(configuration["Estuary:Encryption:Keys:k3"]);
    }

    [Fact]
    public void EncryptionConfiguration_ActiveKeyNotInTheUserSecrets_NothingAdded()
    {
        var secrets = Path.Combine(_directory, "secrets.json");
        File.WriteAllText(secrets, """{ "Parameters:payload-key-k1": "one" }""");
        var endpoints = LocalEndpoints.OfCurrentProcess(new LocalTemporal("localhost:17233", "default", null), null, null,
            new LocalEncryption(true, "apphost-id", "k2", ["k1"]));

        Assert.Empty(endpoints.EncryptionConfiguration(_ => secrets));
        Assert.Empty(endpoints.EncryptionConfiguration(_ => Path.Combine(_directory, "missing.json")));
    }

    [Fact]
    public void EncryptionConfiguration_EncryptionOffInTheAppHost_OffHereToo()
    {
        var endpoints = LocalEndpoints.OfCurrentProcess(new LocalTemporal("localhost:17233", "default", null), null, null,
            new LocalEncryption(false, "apphost-id", null, []));

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(endpoints.EncryptionConfiguration(_ => throw new InvalidOperationException("not read"))).Build();

        Assert.Equal("False", configuration["Estuary:Encryption:Enabled"]);
    }

    [Fact]
    public void Write_WithEncryption_NamesTheUserSecretsAndKeyIdsOnly()
    {
        LocalEndpoints.OfCurrentProcess(new LocalTemporal("localhost:17233", "default", null), null, null,
            new LocalEncryption(true, "apphost-id", "k2", ["k1"])).Write(FilePath);

        var read = LocalEndpoints.Read(FilePath);

        Assert.Equal("apphost-id", read?.Encryption?.UserSecretsId);
        Assert.Equal("k2", read?.Encryption?.ActiveKey);
        Assert.Equal(["k1"], read?.Encryption?.RetiredKeys ?? []);
    }

    [Fact]
    public void TemporalSources_FileAndTemporalsOwnEnvironmentAndAnEstuaryKey_FileIsTheLastResort()
    {
        LocalEndpoints.OfCurrentProcess(new LocalTemporal("localhost:17233", "estuary-local", null), null, null).Write(FilePath);
        var temporalEnvironment = new ClientEnvConfig.ProfileLoadOptions
        {
            DisableFile = true,
            OverrideEnvVars = new Dictionary<string, string> { ["TEMPORAL_ADDRESS"] = "temporal-env:7233" },
        };
        var sources = CliHost.TemporalSources(FilePath) with { Environment = temporalEnvironment };
        var none = new ConfigurationBuilder().Build();
        var estuaryKey = new ConfigurationBuilder().AddInMemoryCollection([new("Temporal:Address", "estuary-key:7233")]).Build();

        Assert.Equal("temporal-env:7233", TemporalConnectionOptions.FromConfiguration(none, sources).Address);
        Assert.Equal("estuary-key:7233", TemporalConnectionOptions.FromConfiguration(estuaryKey, sources).Address);
        Assert.Equal("localhost:17233", TemporalConnectionOptions.FromConfiguration(none, sources with { Environment = null }).Address);
    }

    [Fact]
    public void BuildConfiguration_FileOfAppHostThatNoLongerRuns_Ignored()
    {
        // The process id is in use, but by a process that started an hour later: the id was reused.
        var current = LocalEndpoints.OfCurrentProcess(new LocalTemporal("localhost:17233", "default", null), null, null);
        (current with { ProcessStartTime = current.ProcessStartTime.AddHours(-1) }).Write(FilePath);

        var sources = CliHost.TemporalSources(FilePath);

        Assert.Null(LocalEndpoints.Read(FilePath));
        Assert.Null(sources.Fallback);
    }

    [Fact]
    public void BuildConfiguration_NoFile_NothingAdded()
    {
        var sources = CliHost.TemporalSources(FilePath);

        Assert.Null(sources.Fallback);
        Assert.False(File.Exists(FilePath));
    }

    [Fact]
    public void BuildConfiguration_NotAnEndpointsFile_ErrorNamesTheFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        File.WriteAllText(FilePath, "{ not json");

        var exception = Assert.Throws<InvalidOperationException>(() => CliHost.BuildConfiguration(FilePath));

        Assert.StartsWith($"'{FilePath}' is not an Estuary endpoints file", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Remove_FileOfAnotherAppHost_KeepsIt()
    {
        var endpoints = LocalEndpoints.OfCurrentProcess(new LocalTemporal("localhost:17233", "default", null), null, null);
        endpoints.Write(FilePath);

        LocalEndpoints.Remove(FilePath, endpoints.ProcessId + 1);
        Assert.True(File.Exists(FilePath));

        LocalEndpoints.Remove(FilePath, endpoints.ProcessId);
        Assert.False(File.Exists(FilePath));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
