using Estuary.Temporal.Configuration;
using Microsoft.Extensions.Configuration;
using Temporalio.Client;
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

    private static TemporalConnectionOptions Read(Dictionary<string, string?> values) =>
        TemporalConnectionOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
}
