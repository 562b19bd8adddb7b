using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace Estuary.AppHost.Tests;

/// <summary>Where the embedded Temporal server keeps its state: a file in the state directory unless told otherwise.</summary>
public sealed class EmbeddedTemporalStateTests : IDisposable
{
    private readonly string _stateDirectory = Directory.CreateTempSubdirectory("estuary-state-").FullName;

    public void Dispose() => Directory.Delete(_stateDirectory, recursive: true);

    [Fact]
    public async Task Build_EmbeddedMode_ServerKeepsItsStateInAFileOfTheStateDirectory()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
            ["Temporal:Mode=Embedded", "Postgres:Mode=Local", $"Estuary:StateDirectory={_stateDirectory}"]);

        var args = await ArgumentsAsync(builder.Resources.Single(r => r.Name == "temporal"));

        Assert.Equal(["--db-filename", Path.Combine(_stateDirectory, TemporalHostingExtensions.EmbeddedDatabaseFile)], args[^2..]);
    }

    [Fact]
    public async Task Build_EmbeddedModeNotPersistent_ServerRunsInMemory()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
            ["Temporal:Mode=Embedded", "Temporal:Embedded:Persistent=false", "Postgres:Mode=Local", $"Estuary:StateDirectory={_stateDirectory}"]);

        var args = await ArgumentsAsync(builder.Resources.Single(r => r.Name == "temporal"));

        Assert.Contains("--port", args);
        Assert.DoesNotContain("--db-filename", args);
    }

    // Plain strings only: endpoint references are not allocated in a model that never starts.
    private static async Task<List<string>> ArgumentsAsync(IResource resource)
    {
        var arguments = new List<object>();
        foreach (var annotation in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await annotation.Callback(new CommandLineArgsCallbackContext(arguments));
        }
        return arguments.Select(a => a as string ?? $"<{a.GetType().Name}>").ToList();
    }
}
