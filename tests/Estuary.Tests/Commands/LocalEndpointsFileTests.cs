using Estuary.Cli;
using Estuary.Temporal.Configuration;

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

        Assert.Equal("localhost:17233", configuration["Temporal:Address"]);
        Assert.Equal("estuary-local", configuration["Temporal:Namespace"]);
        Assert.Equal("localhost:17233", TemporalConnectionOptions.FromConfiguration(configuration).Address);
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
    public void BuildConfiguration_FileOfAppHostThatNoLongerRuns_Ignored()
    {
        // The process id is in use, but by a process that started an hour later: the id was reused.
        var current = LocalEndpoints.OfCurrentProcess(new LocalTemporal("localhost:17233", "default", null), null, null);
        (current with { ProcessStartTime = current.ProcessStartTime.AddHours(-1) }).Write(FilePath);

        var configuration = CliHost.BuildConfiguration(FilePath);

        Assert.Null(LocalEndpoints.Read(FilePath));
        Assert.NotEqual("localhost:17233", configuration["Temporal:Address"]);
    }

    [Fact]
    public void BuildConfiguration_NoFile_NothingAdded()
    {
        var configuration = CliHost.BuildConfiguration(FilePath);

        Assert.NotEqual("localhost:17233", configuration["Temporal:Address"]);
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
