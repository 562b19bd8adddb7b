using Estuary.Temporal.Monitoring;
using Estuary.Testing;
using Estuary.Worker.Example;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Estuary.Tests.Observability;

/// <summary>The setting that chooses how the SQL shows in traces, read by the service defaults and by each domain's database.</summary>
public sealed class SqlTelemetrySettingTests
{
    private const string Message = $"Configuration key '{SqlTelemetrySetting.ConfigurationKey}' must be Events, Spans, None, got 'Span'.";

    [Theory]
    [InlineData(null, SqlTelemetry.Events)]
    [InlineData("spans", SqlTelemetry.Spans)]
    [InlineData(" None ", SqlTelemetry.None)]
    public void FromConfiguration_ValueOrNothing_ReadsItOrDefaultsToEvents(string? value, SqlTelemetry expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [SqlTelemetrySetting.ConfigurationKey] = value }).Build();

        Assert.Equal(expected, SqlTelemetrySetting.FromConfiguration(configuration));
    }

    [Theory]
    [InlineData("Span")]
    [InlineData("1")]
    [InlineData("Events,Spans")]
    public void ConfigureOpenTelemetry_UnknownValue_FailsNamingTheKey(string value)
    {
        var builder = Builder(value);

        var error = Assert.Throws<InvalidOperationException>(() => builder.ConfigureOpenTelemetry());

        Assert.Equal(Message.Replace("'Span'", $"'{value}'", StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public void AddEstuaryWorker_UnknownValue_FailsNamingTheKey()
    {
        var builder = Builder("Span");
        builder.Configuration["ConnectionStrings:example-db"] = "Host=localhost;Database=unused";
        builder.Configuration.AddInMemoryCollection(TestEncryption.Settings);

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddEstuaryWorker(new ExampleDomain()));

        Assert.Equal(Message, error.Message);
    }

    private static HostApplicationBuilder Builder(string value)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [SqlTelemetrySetting.ConfigurationKey] = value });
        return builder;
    }
}
