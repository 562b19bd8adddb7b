using Aspire.Hosting;
using Microsoft.Extensions.Configuration;

namespace Estuary.AppHost.Tests;

public sealed class SupervisionOptionsTests
{
    [Fact]
    public void NextDelay_Defaults_DoublesFromOneSecondThenGivesUpAfterFiveRestarts()
    {
        var options = SupervisionOptions.From(Section());

        Assert.Equal(
            [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(16), null],
            Enumerable.Range(0, 6).Select(options.NextDelay));
        Assert.Equal(TimeSpan.FromMinutes(5), options.Window);
        Assert.True(options.Enabled);
    }

    [Fact]
    public void NextDelay_ManyRestartsAllowed_WaitsAtMostThirtySeconds()
    {
        var options = SupervisionOptions.From(Section(("MaxRestarts", "100")));

        Assert.Equal(TimeSpan.FromSeconds(30), options.NextDelay(99));
    }

    [Theory]
    [InlineData("Enabled", "yes", "true or false")]
    [InlineData("MaxRestarts", "0", "a whole number, 1 or more")]
    [InlineData("Window", "-00:01:00", "a positive duration")]
    public void From_InvalidValue_MessageNamesTheKey(string key, string value, string expected)
    {
        var exception = Assert.Throws<AppHostStartException>(() => SupervisionOptions.From(Section((key, value))));

        Assert.StartsWith($"Configuration key 'Estuary:Supervision:{key}' must be {expected}", exception.Message, StringComparison.Ordinal);
    }

    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>($"{SupervisionExtensions.SectionName}:{v.Key}", v.Value)))
            .Build()
            .GetSection(SupervisionExtensions.SectionName);
}
