using System.Text.Json;

namespace Estuary.AppHost.Tests;

/// <summary>Publishing the AppHost the way azd does: <c>dotnet run --project … -- --publisher manifest --output-path …</c>.</summary>
public sealed class ManifestTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("estuary-manifest-").FullName;

    [Fact]
    public async Task PublishManifest_AppHost_HasTemporalParameterPostgresDatabasesAndWorkers()
    {
        var manifestPath = Path.Combine(_directory, "aspire-manifest.json");
        var (exitCode, output, error) = await AppHostRun.RunAsync("--publisher", "manifest", "--output-path", manifestPath);
        Assert.True(exitCode == 0, $"exit code {exitCode}: {output}{error}");

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(manifestPath));
        var resources = manifest.RootElement.GetProperty("resources");
        string TypeOf(string name) => resources.GetProperty(name).GetProperty("type").GetString()!;

        // Temporal is whatever the deployment names (self-hosted or Temporal Cloud), never the embedded server.
        Assert.Equal("parameter.v0", TypeOf("temporal"));
        Assert.Equal("{temporal.value}", resources.GetProperty("temporal").GetProperty("connectionString").GetString());
        Assert.Equal("container.v0", TypeOf("postgres"));
        foreach (var domain in new[] { "example", "bookings", "payments" })
        {
            Assert.Equal($"{{postgres.connectionString}};Database={domain}", resources.GetProperty($"{domain}-db").GetProperty("connectionString").GetString());
            Assert.Equal("project.v0", TypeOf($"{domain}-worker"));
            var env = resources.GetProperty($"{domain}-worker").GetProperty("env");
            Assert.Equal("{temporal.connectionString}", env.GetProperty("ConnectionStrings__temporal").GetString());
            Assert.Equal($"{{{domain}-db.connectionString}}", env.GetProperty($"ConnectionStrings__{domain}-db").GetString());
            Assert.False(env.TryGetProperty("DOTNET_ENVIRONMENT", out _), "a deployment chooses its own environment");
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
