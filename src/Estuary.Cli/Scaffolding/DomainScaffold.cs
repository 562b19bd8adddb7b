using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Estuary.Cli.Commands;

namespace Estuary.Cli.Scaffolding;

/// <summary>
/// Everything <c>estuary new domain</c> writes, computed and checked before anything is written: the worker and test projects
/// copied from the domain template under the new name, the two projects in the solution, references from the CLI and the
/// AppHost, the domain in <c>CliHost.Domains</c>, and its database and worker in <c>AppHost.cs</c>. If a step fails, or the
/// command is stopped, every file already changed is put back byte for byte and the new directories are deleted.
/// </summary>
internal sealed partial class DomainScaffold
{
    // What the template's files say where the new domain's names go.
    private const string TemplateName = "DomainName";
    private const string TemplateMigrationId = "20000101000000";

    private readonly EstuaryRepository _repository;
    private readonly IReadOnlyDictionary<string, string> _edits;

    private DomainScaffold(EstuaryRepository repository, DomainName name, IReadOnlyDictionary<string, string> edits, string migrationId)
    {
        _repository = repository;
        _edits = edits;
        Name = name;
        MigrationId = migrationId;
    }

    /// <summary>Gets the new domain's names.</summary>
    public DomainName Name { get; }

    /// <summary>Gets the timestamp of the domain's initial migration.</summary>
    public string MigrationId { get; }

    private string WorkerDirectory => Path.Combine(_repository.Root, "src", Name.Project);

    private string TestsDirectory => Path.Combine(_repository.Root, "tests", $"{Name.Project}.Tests");

    private string WorkerProject => Path.Combine(WorkerDirectory, $"{Name.Project}.csproj");

    private string TestsProject => Path.Combine(TestsDirectory, $"{Name.Project}.Tests.csproj");

    /// <summary>Checks that the domain can be added to the repository and computes the edits, writing nothing.</summary>
    /// <param name="repository">The repository.</param>
    /// <param name="name">The new domain.</param>
    /// <param name="now">The time, for the migration's timestamp.</param>
    /// <returns>The scaffold, ready to apply.</returns>
    /// <exception cref="CommandFailedException">A file the command needs is missing or not of the shape it edits, or the
    /// domain exists already.</exception>
    public static DomainScaffold Plan(EstuaryRepository repository, DomainName name, DateTimeOffset now)
    {
        foreach (var required in new[] { repository.CliProject, repository.CliHost, repository.AppHostProject, repository.AppHost })
        {
            if (!File.Exists(required))
            {
                throw new CommandFailedException($"{repository.Relative(required)} is missing from the repository at {repository.Root}.");
            }
        }

        if (!Directory.Exists(repository.DomainTemplate))
        {
            throw new CommandFailedException($"{repository.Relative(repository.DomainTemplate)} (the domain template) is missing from the repository at {repository.Root}.");
        }

        var existing = Directory.GetDirectories(Path.Combine(repository.Root, "src"), "Estuary.Worker.*")
            .FirstOrDefault(d => string.Equals(Path.GetFileName(d), name.Project, StringComparison.OrdinalIgnoreCase));
        if (existing is not null)
        {
            throw new CommandFailedException($"Domain '{name.Lower}' exists already ({repository.Relative(existing)}).");
        }

        var scaffold = new DomainScaffold(
            repository,
            name,
            new Dictionary<string, string>
            {
                [repository.CliHost] = RegisterInCli(repository, File.ReadAllText(repository.CliHost), name),
                [repository.AppHost] = RegisterInAppHost(repository, File.ReadAllText(repository.AppHost), name),
            },
            now.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));
        if (Directory.Exists(scaffold.TestsDirectory))
        {
            throw new CommandFailedException($"{repository.Relative(scaffold.TestsDirectory)} exists already.");
        }

        return scaffold;
    }

    /// <summary>Writes the domain; on any failure puts everything back as it was.</summary>
    /// <param name="cancellationToken">Stops the command (Ctrl+C): what was done is undone.</param>
    /// <returns>A task completing when the domain is added.</returns>
    /// <exception cref="CommandFailedException">A step failed; nothing was changed.</exception>
    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var r = _repository;
        var touched = new[] { r.Solution, r.CliProject, r.AppHostProject, r.CliHost, r.AppHost }.ToDictionary(path => path, File.ReadAllBytes);
        try
        {
            Copy(Path.Combine(r.DomainTemplate, "src", $"Estuary.Worker.{TemplateName}"), WorkerDirectory);
            Copy(Path.Combine(r.DomainTemplate, "tests", $"Estuary.Worker.{TemplateName}.Tests"), TestsDirectory);
            await DotnetAsync(cancellationToken, "sln", r.Solution, "add", "--solution-folder", "src", WorkerProject);
            await DotnetAsync(cancellationToken, "sln", r.Solution, "add", "--solution-folder", "tests", TestsProject);
            await DotnetAsync(cancellationToken, "add", r.CliProject, "reference", WorkerProject);
            await DotnetAsync(cancellationToken, "add", r.AppHostProject, "reference", WorkerProject);
            foreach (var (path, text) in _edits)
            {
                // Keep the file's byte order mark, or its absence.
                await File.WriteAllTextAsync(
                    path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: touched[path].AsSpan().StartsWith(Encoding.UTF8.Preamble)), CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            foreach (var (path, bytes) in touched)
            {
                await File.WriteAllBytesAsync(path, bytes, CancellationToken.None);
            }

            foreach (var directory in new[] { WorkerDirectory, TestsDirectory }.Where(Directory.Exists))
            {
                Directory.Delete(directory, recursive: true);
            }

            if (e is OperationCanceledException or CommandFailedException)
            {
                throw;
            }

            throw new CommandFailedException($"{e.Message.ReplaceLineEndings(" ")} Nothing was changed.", e);
        }
    }

    /// <summary>Says what was added and what to run next.</summary>
    /// <returns>Lines for the console.</returns>
    public string Summary() => $"""
        Created src/{Name.Project}: {Name.Pascal}Domain, {Name.Pascal}Item, {Name.Pascal}DbContext and its migration {MigrationId}_Initial,
          {Name.Pascal}Activities (process_{Name.Lower}_item), {Name.Pascal}Workflow.
        Created tests/{Name.Project}.Tests.
        Added both to {EstuaryRepository.SolutionFileName}, the worker to the CLI (CliHost.cs) and the AppHost ({Name.Lower}-db, {Name.Lower}-worker).
        Next:
          dotnet test tests/{Name.Project}.Tests
          dotnet build src/Estuary.Cli                # then estuary knows '{Name.Lower}'
          dotnet run --project src/Estuary.AppHost
          estuary trigger {Name.Lower} {Name.Lower} <item id> --wait
        """;

    // CliHost.Domains is a collection expression of domain instances: the new one goes last, its namespace among the usings.
    private static string RegisterInCli(EstuaryRepository repository, string text, DomainName name)
    {
        var list = DomainsList().Match(text);
        if (!list.Success)
        {
            throw new CommandFailedException(
                $"{repository.Relative(repository.CliHost)} has no 'Domains {{ get; }} = [ … ]' list to add new {name.Pascal}Domain() to; add the domain by hand.");
        }

        var items = list.Groups["items"];
        var item = $"new {name.Pascal}Domain()";
        text = text[..items.Index] + (items.Value.Trim().Length == 0 ? item : $"{items.Value.TrimEnd()}, {item}") + text[(items.Index + items.Length)..];
        return AddUsing(text, $"using {name.Project};");
    }

    private static string AddUsing(string text, string directive)
    {
        var usings = UsingLine().Matches(text);
        var next = usings.FirstOrDefault(u => string.CompareOrdinal(u.Value.TrimEnd(), directive) > 0);
        var at = next?.Index ?? (usings.Count > 0 ? usings[^1].Index + usings[^1].Length : 0);
        return text[..at] + directive + "\n" + text[at..];
    }

    // AppHost.cs: a database after the last AddDatabase line, a worker after the last AddWorker statement, in their style.
    private static string RegisterInAppHost(EstuaryRepository repository, string text, DomainName name)
    {
        foreach (var resource in new[] { $"\"{name.Lower}-db\"", $"\"{name.Lower}-worker\"" })
        {
            if (text.Contains(resource, StringComparison.Ordinal))
            {
                throw new CommandFailedException($"{repository.Relative(repository.AppHost)} already has a resource {resource}.");
            }
        }

        var temporal = TemporalResource().Match(text);
        var database = DatabaseLine().Matches(text).LastOrDefault();
        var worker = WorkerStatement().Matches(text).LastOrDefault();
        var workerEnd = worker is null ? null : StatementEnd().Match(text[worker.Index..]);
        if (!temporal.Success || database is null || worker is null || workerEnd is not { Success: true })
        {
            throw new CommandFailedException(
                $"{repository.Relative(repository.AppHost)} does not have the shape this command edits: 'var temporal = builder.AddTemporal(…)', "
                + "'var xDb = postgres.AddDatabase(…);' lines and 'builder.AddWorker<Projects.…>(…)…;' statements; add the domain by hand.");
        }

        var indent = worker.Groups["indent"].Value;
        var db = $"{name.Camel}Db";
        var t = temporal.Groups["name"].Value;
        var workerLines = $"""

            {indent}{worker.Groups["builder"].Value}.AddWorker<Projects.Estuary_Worker_{name.Pascal}>("{name.Lower}-worker")
            {indent}    .WithReference({t}).WaitFor({t})
            {indent}    .WithReference({db}).WaitFor({db})
            {indent}    .WithWorkflowCommands({t});

            """;
        var afterWorker = worker.Index + workerEnd.Index + workerEnd.Length;
        text = text[..afterWorker] + workerLines + text[afterWorker..];

        var databaseLine = $"{database.Groups["indent"].Value}var {db} = {database.Groups["server"].Value}.AddDatabase(\"{name.Lower}-db\", \"{name.Lower}\");\n";
        var afterDatabase = database.Index + database.Length;
        return text[..afterDatabase] + databaseLine + text[afterDatabase..];
    }

    // The template's files under the new names; build outputs of the template, if any, are not part of it.
    private void Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            var target = Path.Combine(to, Substitute(relative));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, Substitute(File.ReadAllText(file)));
        }
    }

    private string Substitute(string text) =>
        text.Replace(TemplateName, Name.Pascal, StringComparison.Ordinal)
            .Replace(TemplateName.ToLowerInvariant(), Name.Lower, StringComparison.Ordinal)
            .Replace(TemplateMigrationId, MigrationId, StringComparison.Ordinal);

    // `dotnet sln` and `dotnet add reference` edit the solution and projects as the SDK writes them.
    private async Task DotnetAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var command = $"dotnet {string.Join(' ', arguments.Select(a => Path.IsPathRooted(a) ? _repository.Relative(a) : a))}";
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _repository.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new CommandFailedException($"'{command}' could not start: {e.Message}. Nothing was changed.", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                throw;
            }

            if (process.ExitCode != 0)
            {
                var said = Whitespace().Replace($"{await error} {await output}", " ").Trim();
                throw new CommandFailedException($"'{command}' failed: {said} Nothing was changed.");
            }
        }
    }

    [GeneratedRegex(@"Domains\s*\{\s*get;\s*\}\s*=\s*\[(?<items>[^\]]*)\]")]
    private static partial Regex DomainsList();

    [GeneratedRegex(@"^using [^;]+;\r?\n", RegexOptions.Multiline)]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"var (?<name>\w+) = \w+\.AddTemporal\(")]
    private static partial Regex TemporalResource();

    [GeneratedRegex(@"^(?<indent>[ \t]*)var \w+ = (?<server>\w+)\.AddDatabase\(.*;[ \t]*\r?\n", RegexOptions.Multiline)]
    private static partial Regex DatabaseLine();

    [GeneratedRegex(@"^(?<indent>[ \t]*)(?<builder>\w+)\.AddWorker<Projects\.\w+>\(", RegexOptions.Multiline)]
    private static partial Regex WorkerStatement();

    [GeneratedRegex(@";[ \t]*\r?\n")]
    private static partial Regex StatementEnd();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
