using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Estuary.AppHost.Tests;

/// <summary>What the Aspire dashboard is sent about the resources (their snapshots) holds no secret in clear.</summary>
[Collection(AppHostTestGroup.Name)]
public sealed class DashboardSecretsTests(AppHostFixture fixture)
{
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Snapshots_LocalMode_NoPayloadKeyPostgresPasswordOrCodecTokenInAnyEnvironmentVariable()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var password = await fixture.ParameterValueAsync("postgres-password");
        var token = await fixture.ParameterValueAsync("codec-access-token");
        var states = fixture.LatestStates;

        var workers = states.Where(s => s.Resource.Name.EndsWith("-worker", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, workers.Count);
        foreach (var worker in workers)
        {
            // What the dashboard shows of a worker: its environment, which points at its secrets without holding them.
            var environment = worker.Snapshot.EnvironmentVariables.ToDictionary(v => v.Name, v => v.Value);
            Assert.Equal("k1", environment["Estuary__Encryption__ActiveKey"]);
            Assert.True(File.Exists(environment["Estuary__Encryption__SecretsFile"]));
            Assert.DoesNotContain(environment, v => v.Key.StartsWith("Estuary__Encryption__Keys", StringComparison.Ordinal));
            Assert.Contains(environment, v => v.Key.StartsWith("ConnectionStrings__", StringComparison.Ordinal) && v.Value!.Contains("Passfile=", StringComparison.Ordinal));
        }

        // The embedded server's UI reads the codec token from the file its environment names.
        var temporal = Assert.Single(states, s => s.Resource.Name == "temporal").Snapshot.EnvironmentVariables.ToDictionary(v => v.Name, v => v.Value);
        Assert.DoesNotContain("ESTUARY_CODEC_ACCESS_TOKEN", temporal.Keys);
        Assert.Equal(token, await File.ReadAllTextAsync(temporal["ESTUARY_CODEC_ACCESS_TOKEN_FILE"]!, TestContext.Current.CancellationToken));

        foreach (var state in states)
        {
            foreach (var secret in new[] { fixture.PayloadKey, password, token })
            {
                Assert.DoesNotContain(state.Snapshot.EnvironmentVariables, v => v.Value?.Contains(secret, StringComparison.Ordinal) == true);
            }
        }
    }

    [Theory]
    [InlineData("payload-key-k1")]
    [InlineData("postgres-password")]
    [InlineData("codec-access-token")]
    public async Task Snapshots_SecretParameter_ValueMarkedSensitive(string parameter)
    {
        using var timeout = new CancellationTokenSource(HealthyTimeout);
        var state = await fixture.App.Services.GetRequiredService<ResourceNotificationService>()
            .WaitForResourceAsync(parameter, e => e.Snapshot.Properties.Any(p => p.Name == "Value"), timeout.Token);

        var value = Assert.Single(state.Snapshot.Properties, p => p.Name == "Value");
        Assert.Equal(await fixture.ParameterValueAsync(parameter), value.Value);
        Assert.True(value.IsSensitive);
    }
}
