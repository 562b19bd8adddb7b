using System.Diagnostics;
using System.Text.Json;
using Estuary.Cli;
using Estuary.Cli.Commands;

namespace Estuary.Tests.Commands;

/// <summary>
/// <c>estuary new domain Shipping</c>, the README's way to add a domain, run by the built executable inside a copy of this
/// repository (its working tree without <c>bin</c>, <c>obj</c> and <c>.git</c>): the new worker, the CLI and the AppHost
/// build with every warning an error, and the new domain's own tests pass.
/// </summary>
[Collection(BuildsARepositoryCopy.Name)]
public sealed class NewDomainCommandTests(RepositoryCopy copy) : IClassFixture<RepositoryCopy>
{
    // What a new domain touches; the new worker is built as their reference.
    private static readonly string[] TouchedProjects =
        ["src/Estuary.Cli/Estuary.Cli.csproj", "src/Estuary.AppHost/Estuary.AppHost.csproj", "tests/Estuary.Worker.Shipping.Tests/Estuary.Worker.Shipping.Tests.csproj"];

    [Fact]
    public async Task NewDomain_ShippingFromASubdirectory_AddsAWorkerThatBuildsWithTheCliAndAppHostAndWhoseTestsPass()
    {
        // The estuary built with these tests, run where a user stands: somewhere inside the repository.
        var (exitCode, output, error) = await copy.RunInAsync(
            "src", "dotnet", Path.Combine(AppContext.BaseDirectory, "estuary.dll"), "new", "domain", "Shipping");

        Assert.True(exitCode == 0, $"{output}{error}");
        Assert.StartsWith("Created src/Estuary.Worker.Shipping: ShippingDomain, ShippingItem, ShippingDbContext", output, StringComparison.Ordinal);
        Assert.Contains("new ShippingDomain()", Read("src/Estuary.Cli/CliHost.cs"), StringComparison.Ordinal);
        var appHost = Read("src/Estuary.AppHost/AppHost.cs");
        Assert.Contains("postgres.AddDatabase(\"shipping-db\", \"shipping\");", appHost, StringComparison.Ordinal);
        Assert.Contains("AddWorker<Projects.Estuary_Worker_Shipping>(\"shipping-worker\")", appHost, StringComparison.Ordinal);
        Assert.Contains(".WithReference(shippingDb).WaitFor(shippingDb)\n        .WithWorkflowCommands(temporal);", appHost.ReplaceLineEndings("\n"), StringComparison.Ordinal);
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
    [InlineData("shipping-fees", EstuaryCommandLine.Usage, "A domain name is 1 to 40 letters and digits starting with a letter (e.g. Shipping), got 'shipping-fees'.")]
    [InlineData("Example", EstuaryCommandLine.Failed, "Domain 'example' exists already (src/Estuary.Worker.Example).")]
    [InlineData("example", EstuaryCommandLine.Failed, "Domain 'example' exists already (src/Estuary.Worker.Example).")]
    public async Task NewDomain_InvalidOrTakenName_ExitsNonZeroWithOneLineAndChangesNothing(string name, int expectedExitCode, string expectedError)
    {
        var before = copy.Snapshot();

        var (exitCode, output, error) = await RunInAsync(copy.Root, "new", "domain", name);

        Assert.Equal(expectedExitCode, exitCode);
        Assert.Empty(output);
        Assert.Equal($"error: {expectedError}{Environment.NewLine}", error);
        Assert.Equal(before, copy.Snapshot());
    }

    [Fact]
    public async Task NewDomain_OutsideARepository_ExitsOneWithOneLineAndWritesNothing()
    {
        var outside = Directory.CreateTempSubdirectory("estuary-outside-");
        try
        {
            var (exitCode, output, error) = await RunInAsync(outside.FullName, "new", "domain", "Shipping");

            Assert.Equal(EstuaryCommandLine.Failed, exitCode);
            Assert.Empty(output);
            Assert.Equal(
                $"error: {outside.FullName} is not in an Estuary repository (no Estuary.sln in it or any directory above): run this inside your clone.{Environment.NewLine}",
                error);
            Assert.Empty(outside.EnumerateFileSystemInfos());
        }
        finally
        {
            outside.Delete(recursive: true);
        }
    }

    private string Read(string path) => File.ReadAllText(copy.PathOf(path));

    internal static Task<(int ExitCode, string Output, string Error)> RunInAsync(string directory, params string[] args) =>
        CommandLineRunner.RunAsync(CliHost.Domains, new CommandLineSettings(WorkingDirectory: directory), args);
}

/// <summary>A step of <c>estuary new domain</c> that fails after others succeeded puts back everything they changed.</summary>
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

        var (exitCode, output, error) = await NewDomainCommandTests.RunInAsync(copy.Root, "new", "domain", "Fleet");

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.Empty(output);
        Assert.Matches(@"^error: 'dotnet add src/Estuary.AppHost/Estuary.AppHost.csproj reference src/Estuary.Worker.Fleet/Estuary.Worker.Fleet.csproj' failed: .* Nothing was changed\.\s*$", error);
        Assert.Equal(before, copy.Snapshot());
        Assert.False(Directory.Exists(copy.PathOf("src/Estuary.Worker.Fleet")));
    }

    [Fact]
    public async Task NewDomain_CtrlC_PutsEverythingBack()
    {
        var before = copy.Snapshot();
        using var ctrlC = new CancellationTokenSource();
        await ctrlC.CancelAsync();

        // Pressed before the first `dotnet sln add` ends: the template is already copied by then.
        var (exitCode, output, error) = await CommandLineRunner.RunAsync(
            CliHost.Domains, new CommandLineSettings(WorkingDirectory: copy.Root, Cancellation: ctrlC.Token), "new", "domain", "Harbour");

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.Empty(output);
        Assert.Equal($"error: canceled.{Environment.NewLine}", error);
        Assert.Equal(before, copy.Snapshot());
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
    public Task<(int ExitCode, string Output, string Error)> RunAsync(string fileName, params string[] arguments) =>
        RunInAsync(".", fileName, arguments);

    /// <summary>Runs a command in a directory of the copy to its end.</summary>
    /// <param name="directory">The directory, relative to the root.</param>
    /// <param name="fileName">The executable.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <returns>Its exit code, standard output and standard error.</returns>
    /// <exception cref="TimeoutException">It ran for more than ten minutes (and was killed).</exception>
    public async Task<(int ExitCode, string Output, string Error)> RunInAsync(string directory, string fileName, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = PathOf(directory),
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
