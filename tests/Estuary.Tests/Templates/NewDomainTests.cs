using System.Diagnostics;
using System.Text.Json;

namespace Estuary.Tests.Templates;

/// <summary>
/// <c>dotnet templates/new-domain.cs Shipping</c>, the README's way to add a domain, run in a copy of this repository (its
/// working tree without <c>bin</c>, <c>obj</c> and <c>.git</c>): the new worker, the CLI and the AppHost build with every
/// warning an error, and the new domain's own tests pass.
/// </summary>
[Collection(BuildsARepositoryCopy.Name)]
public sealed class NewDomainTests(RepositoryCopy copy) : IClassFixture<RepositoryCopy>
{
    // What a new domain touches; the new worker is built as their reference.
    private static readonly string[] TouchedProjects =
        ["src/Estuary.Cli/Estuary.Cli.csproj", "src/Estuary.AppHost/Estuary.AppHost.csproj", "tests/Estuary.Worker.Shipping.Tests/Estuary.Worker.Shipping.Tests.csproj"];

    [Fact]
    public async Task NewDomain_Shipping_AddsAWorkerThatBuildsWithTheCliAndAppHostAndWhoseTestsPass()
    {
        var (exitCode, output, error) = await copy.RunAsync("dotnet", "templates/new-domain.cs", "Shipping");

        Assert.True(exitCode == 0, $"{output}{error}");
        Assert.Contains("new ShippingDomain()", Read("src/Estuary.Cli/CliHost.cs"), StringComparison.Ordinal);
        var appHost = Read("src/Estuary.AppHost/AppHost.cs");
        Assert.Contains("postgres.AddDatabase(\"shipping-db\", \"shipping\");", appHost, StringComparison.Ordinal);
        Assert.Contains("AddWorker<Projects.Estuary_Worker_Shipping>(\"shipping-worker\")", appHost, StringComparison.Ordinal);
        var solution = Read("Estuary.sln");
        Assert.Contains(@"src\Estuary.Worker.Shipping\Estuary.Worker.Shipping.csproj", solution, StringComparison.Ordinal);
        Assert.Contains(@"tests\Estuary.Worker.Shipping.Tests\Estuary.Worker.Shipping.Tests.csproj", solution, StringComparison.Ordinal);

        // One build of just what the new domain touches, warnings as errors.
        File.WriteAllText(copy.PathOf("shipping.slnf"), JsonSerializer.Serialize(new { solution = new { path = "Estuary.sln", projects = TouchedProjects } }));
        var build = await copy.RunAsync("dotnet", "build", "shipping.slnf", "-nodeReuse:false", "-v", "q", "-nologo");
        Assert.True(build.ExitCode == 0, build.Output + build.Error);

        var tests = await copy.RunAsync("dotnet", "test", "tests/Estuary.Worker.Shipping.Tests", "--no-build");
        Assert.True(tests.ExitCode == 0, tests.Output + tests.Error);
        Assert.Matches(@"Passed!\s+-\s+Failed:\s+0, Passed:\s+3,", tests.Output);

        var list = await copy.RunAsync("dotnet", "src/Estuary.Cli/bin/Debug/net10.0/estuary.dll", "list");
        Assert.True(list.ExitCode == 0, list.Output + list.Error);
        Assert.Contains("ShippingWorkflow", list.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("shipping-fees", 2, "usage: dotnet templates/new-domain.cs <Name>")]
    [InlineData("Example", 1, "Domain 'example' exists already (src/Estuary.Worker.Example).")]
    public async Task NewDomain_InvalidOrTakenName_ExitsNonZeroWithOneLineAndChangesNothing(string name, int expectedExitCode, string expectedError)
    {
        var before = copy.Snapshot();

        var (exitCode, output, error) = await copy.RunAsync("dotnet", "templates/new-domain.cs", name);

        Assert.Equal(expectedExitCode, exitCode);
        Assert.Empty(output);
        Assert.StartsWith($"error: {expectedError}", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Equal(before, copy.Snapshot());
    }

    private string Read(string path) => File.ReadAllText(copy.PathOf(path));
}

/// <summary>A step of <c>new-domain.cs</c> that fails after others succeeded puts back everything they changed.</summary>
[Collection(BuildsARepositoryCopy.Name)]
public sealed class NewDomainRollbackTests(RepositoryCopy copy) : IClassFixture<RepositoryCopy>
{
    [Fact]
    public async Task NewDomain_ReferencingFromTheAppHostFails_RestoresTheSolutionAndCliAndDeletesTheNewProjects()
    {
        // An AppHost project `dotnet add reference` cannot read: the copies and the solution and CLI edits happen first.
        var appHostProject = copy.PathOf("src/Estuary.AppHost/Estuary.AppHost.csproj");
        File.WriteAllText(appHostProject, "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup>");
        var before = copy.Snapshot();

        var (exitCode, output, error) = await copy.RunAsync("dotnet", "templates/new-domain.cs", "Fleet");

        Assert.Equal(1, exitCode);
        Assert.Empty(output);
        Assert.Matches(@"^error: 'dotnet add src/Estuary.AppHost/Estuary.AppHost.csproj reference src/Estuary.Worker.Fleet/Estuary.Worker.Fleet.csproj' failed: .* Nothing was changed\.\s*$", error);
        Assert.Equal(before, copy.Snapshot());
        Assert.False(Directory.Exists(copy.PathOf("src/Estuary.Worker.Fleet")));
    }
}

/// <summary>A copy of this repository's working tree in a temporary directory, deleted at the end.</summary>
public sealed class RepositoryCopy : IDisposable
{
    private static readonly TimeSpan StepLimit = TimeSpan.FromMinutes(10);

    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal) { ".git", "bin", "obj", "TestResults" };

    /// <summary>Initializes a new instance of the <see cref="RepositoryCopy"/> class: copies the repository this test
    /// assembly was built from.</summary>
    public RepositoryCopy()
    {
        var source = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(source.FullName, "Estuary.sln")))
        {
            source = source.Parent ?? throw new InvalidOperationException($"No Estuary.sln above {AppContext.BaseDirectory}.");
        }

        Root = Directory.CreateTempSubdirectory("estuary-repo-").FullName;
        CopyDirectory(source.FullName, Root);
    }

    /// <summary>Gets the copy's root directory.</summary>
    public string Root { get; }

    /// <summary>Gets the full path of a file of the copy.</summary>
    /// <param name="relative">The path from the root, with <c>/</c>.</param>
    /// <returns>The full path.</returns>
    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Gets every file of the copy (outside build outputs) with its content, to compare before and after.</summary>
    /// <returns>Relative path → content, ordered by path.</returns>
    public SortedDictionary<string, string> Snapshot() =>
        new(
            Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
                .Where(file => !Path.GetRelativePath(Root, file).Split(Path.DirectorySeparatorChar).Any(Skipped.Contains))
                .ToDictionary(file => Path.GetRelativePath(Root, file), File.ReadAllText),
            StringComparer.Ordinal);

    /// <summary>Runs a command in the copy's root to its end.</summary>
    /// <param name="fileName">The executable.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <returns>Its exit code, standard output and standard error.</returns>
    /// <exception cref="TimeoutException">It ran for more than ten minutes (and was killed).</exception>
    public async Task<(int ExitCode, string Output, string Error)> RunAsync(string fileName, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(StepLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{fileName} {string.Join(' ', arguments)}' did not end within {StepLimit.TotalMinutes:0} min.");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(from).Where(d => !Skipped.Contains(Path.GetFileName(d))))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }
}

/// <summary>Tests that build a copy of the repository: alone, after the others, so their builds do not slow the rest.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BuildsARepositoryCopy
{
    /// <summary>The collection name.</summary>
    public const string Name = "builds-a-repository-copy";
}
