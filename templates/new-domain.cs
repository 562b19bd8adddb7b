// Adds a domain to Estuary, from anywhere in the repository: `dotnet templates/new-domain.cs Shipping`.
//
// Copies templates/estuary-domain under the new name (src/Estuary.Worker.<Name>: domain, entity, DbContext, initial
// migration, activity, workflow; tests/Estuary.Worker.<Name>.Tests: its end-to-end tests), adds both projects to
// Estuary.sln, references the worker from the CLI and the AppHost, and registers it in CliHost.cs (the CLI's domains)
// and AppHost.cs (a <name>-db database and a <name>-worker). Everything is checked before anything is written; if a step
// fails, what was already changed is put back.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

var root = Path.GetFullPath(Path.Combine((string)AppContext.GetData("EntryPointFileDirectoryPath")!, ".."));
try
{
    var name = DomainName.Parse(args);
    var repository = new Repository(root);
    var plan = repository.Plan(name);
    repository.Apply(plan);
    Console.WriteLine(plan.Summary());
    return 0;
}
catch (NewDomainException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e.ExitCode;
}

/// <summary>The new domain's names: <c>Shipping</c> for types and projects, <c>shipping</c> for configuration and resources.</summary>
internal sealed record DomainName(string Pascal)
{
    /// <summary>Gets the name in lower case: the domain's name, task queue, database and resource prefix.</summary>
    public string Lower => Pascal.ToLowerInvariant();

    /// <summary>Gets the name in camel case, for C# variables.</summary>
    public string Camel => char.ToLowerInvariant(Pascal[0]) + Pascal[1..];

    /// <summary>Gets the worker project's name.</summary>
    public string Project => $"Estuary.Worker.{Pascal}";

    public static DomainName Parse(string[] args)
    {
        if (args.Length != 1 || !Regex.IsMatch(args[0], "^[A-Za-z][A-Za-z0-9]{0,39}$"))
        {
            throw new NewDomainException(
                "usage: dotnet templates/new-domain.cs <Name>, where <Name> is 1 to 40 letters and digits starting with a letter (e.g. Shipping)"
                + (args.Length == 1 ? $"; got '{args[0]}'" : string.Empty),
                exitCode: 2);
        }

        return new DomainName(char.ToUpperInvariant(args[0][0]) + args[0][1..]);
    }
}

/// <summary>Everything the command writes, computed before anything is.</summary>
internal sealed record Plan(
    DomainName Name,
    string Template,
    string WorkerDirectory,
    string TestsDirectory,
    IReadOnlyDictionary<string, string> Edits,
    string MigrationId)
{
    public string WorkerProject => Path.Combine(WorkerDirectory, $"{Name.Project}.csproj");

    public string TestsProject => Path.Combine(TestsDirectory, $"{Name.Project}.Tests.csproj");

    public string Summary() => $"""
        Created src/{Name.Project}: {Name.Pascal}Domain, {Name.Pascal}Item, {Name.Pascal}DbContext and its migration {MigrationId}_Initial,
          {Name.Pascal}Activities (process_{Name.Lower}_item), {Name.Pascal}Workflow.
        Created tests/{Name.Project}.Tests.
        Added both to Estuary.sln, the worker to the CLI (CliHost.cs) and the AppHost ({Name.Lower}-db, {Name.Lower}-worker).
        Next:
          dotnet test tests/{Name.Project}.Tests
          dotnet run --project src/Estuary.AppHost
          dotnet run --project src/Estuary.Cli -- trigger {Name.Lower} {Name.Lower} <item id> --wait
        """;
}

/// <summary>The repository the domain is added to, and the edits that add it.</summary>
internal sealed class Repository(string root)
{
    private const string TemplateName = "DomainName";
    private const string TemplateMigrationId = "20000101000000";

    private string Solution => Path.Combine(root, "Estuary.sln");

    private string CliProject => Path.Combine(root, "src", "Estuary.Cli", "Estuary.Cli.csproj");

    private string CliHost => Path.Combine(root, "src", "Estuary.Cli", "CliHost.cs");

    private string AppHostProject => Path.Combine(root, "src", "Estuary.AppHost", "Estuary.AppHost.csproj");

    private string AppHost => Path.Combine(root, "src", "Estuary.AppHost", "AppHost.cs");

    public Plan Plan(DomainName name)
    {
        var template = Path.Combine(root, "templates", "estuary-domain");
        foreach (var required in new[] { Solution, CliProject, CliHost, AppHostProject, AppHost, template })
        {
            if (!File.Exists(required) && !Directory.Exists(required))
            {
                throw new NewDomainException($"{Relative(required)} is missing: run this from an Estuary repository.");
            }
        }

        var existing = Directory.GetDirectories(Path.Combine(root, "src"), "Estuary.Worker.*")
            .FirstOrDefault(d => string.Equals(Path.GetFileName(d), name.Project, StringComparison.OrdinalIgnoreCase));
        if (existing is not null)
        {
            throw new NewDomainException($"Domain '{name.Lower}' exists already ({Relative(existing)}).");
        }

        var testsDirectory = Path.Combine(root, "tests", $"{name.Project}.Tests");
        if (Directory.Exists(testsDirectory))
        {
            throw new NewDomainException($"{Relative(testsDirectory)} exists already.");
        }

        var edits = new Dictionary<string, string>
        {
            [CliHost] = RegisterInCli(File.ReadAllText(CliHost), name),
            [AppHost] = RegisterInAppHost(File.ReadAllText(AppHost), name),
        };
        return new Plan(
            name,
            template,
            Path.Combine(root, "src", name.Project),
            testsDirectory,
            edits,
            DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));
    }

    public void Apply(Plan plan)
    {
        var touched = new[] { Solution, CliProject, AppHostProject, CliHost, AppHost }.ToDictionary(path => path, File.ReadAllBytes);
        try
        {
            Copy(plan, Path.Combine(plan.Template, "src", $"Estuary.Worker.{TemplateName}"), plan.WorkerDirectory);
            Copy(plan, Path.Combine(plan.Template, "tests", $"Estuary.Worker.{TemplateName}.Tests"), plan.TestsDirectory);
            Dotnet("sln", Solution, "add", "--solution-folder", "src", plan.WorkerProject);
            Dotnet("sln", Solution, "add", "--solution-folder", "tests", plan.TestsProject);
            Dotnet("add", CliProject, "reference", plan.WorkerProject);
            Dotnet("add", AppHostProject, "reference", plan.WorkerProject);
            foreach (var (path, text) in plan.Edits)
            {
                // Keep the file's byte order mark, or its absence.
                File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: touched[path].AsSpan().StartsWith(Encoding.UTF8.Preamble)));
            }
        }
        catch (Exception e)
        {
            foreach (var (path, bytes) in touched)
            {
                File.WriteAllBytes(path, bytes);
            }

            foreach (var directory in new[] { plan.WorkerDirectory, plan.TestsDirectory }.Where(Directory.Exists))
            {
                Directory.Delete(directory, recursive: true);
            }

            throw e as NewDomainException ?? new NewDomainException($"{e.Message} Nothing was changed.");
        }
    }

    // CliHost.Domains is a collection expression of domain instances: the new one goes last, its namespace among the usings.
    private string RegisterInCli(string text, DomainName name)
    {
        var list = Regex.Match(text, @"Domains\s*\{\s*get;\s*\}\s*=\s*\[(?<items>[^\]]*)\]");
        if (!list.Success)
        {
            throw new NewDomainException($"{Relative(CliHost)} has no 'Domains {{ get; }} = [ … ]' list to add new {name.Pascal}Domain() to.");
        }

        var items = list.Groups["items"];
        var item = $"new {name.Pascal}Domain()";
        text = text[..items.Index] + (items.Value.Trim().Length == 0 ? item : $"{items.Value.TrimEnd()}, {item}") + text[(items.Index + items.Length)..];
        return AddUsing(text, $"using {name.Project};");
    }

    private static string AddUsing(string text, string directive)
    {
        var usings = Regex.Matches(text, @"^using [^;]+;\r?\n", RegexOptions.Multiline);
        var next = usings.FirstOrDefault(u => string.CompareOrdinal(u.Value.TrimEnd(), directive) > 0);
        var at = next?.Index ?? (usings.Count > 0 ? usings[^1].Index + usings[^1].Length : 0);
        return text[..at] + directive + "\n" + text[at..];
    }

    // AppHost.cs: a database after the last AddDatabase line, a worker after the last AddWorker statement, in their style.
    private string RegisterInAppHost(string text, DomainName name)
    {
        var temporal = Regex.Match(text, @"var (?<name>\w+) = \w+\.AddTemporal\(");
        var database = Regex.Matches(text, @"^(?<indent>[ \t]*)var \w+ = (?<server>\w+)\.AddDatabase\(.*;[ \t]*\r?\n", RegexOptions.Multiline).LastOrDefault();
        var worker = Regex.Matches(text, @"^(?<indent>[ \t]*)(?<builder>\w+)\.AddWorker<Projects\.\w+>\(", RegexOptions.Multiline).LastOrDefault();
        var workerEnd = worker is null ? null : Regex.Match(text[worker.Index..], @";[ \t]*\r?\n");
        if (!temporal.Success || database is null || worker is null || workerEnd is not { Success: true })
        {
            throw new NewDomainException(
                $"{Relative(AppHost)} does not have the shape this command edits: 'var temporal = builder.AddTemporal(…)', "
                + "'var xDb = postgres.AddDatabase(…);' lines and 'builder.AddWorker<Projects.…>(…)…;' statements. Add the domain by hand.");
        }

        var indent = worker.Groups["indent"].Value;
        var db = $"{name.Camel}Db";
        var t = temporal.Groups["name"].Value;
        var workerLines = $"""

            {indent}{worker.Groups["builder"].Value}.AddWorker<Projects.Estuary_Worker_{name.Pascal}>("{name.Lower}-worker")
            {indent}    .WithReference({t}).WaitFor({t})
            {indent}    .WithReference({db}).WaitFor({db});

            """;
        var afterWorker = worker.Index + workerEnd.Index + workerEnd.Length;
        text = text[..afterWorker] + workerLines + text[afterWorker..];

        var databaseLine = $"{database.Groups["indent"].Value}var {db} = {database.Groups["server"].Value}.AddDatabase(\"{name.Lower}-db\", \"{name.Lower}\");\n";
        var afterDatabase = database.Index + database.Length;
        return text[..afterDatabase] + databaseLine + text[afterDatabase..];
    }

    private static void Copy(Plan plan, string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }

            var target = Path.Combine(to, Substitute(plan, relative));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, Substitute(plan, File.ReadAllText(file)));
        }
    }

    private static string Substitute(Plan plan, string text) =>
        text.Replace(TemplateName, plan.Name.Pascal, StringComparison.Ordinal)
            .Replace(TemplateName.ToLowerInvariant(), plan.Name.Lower, StringComparison.Ordinal)
            .Replace(TemplateMigrationId, plan.MigrationId, StringComparison.Ordinal);

    private void Dotnet(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var said = Regex.Replace($"{error.Result} {output.Result}", @"\s+", " ").Trim();
            throw new NewDomainException($"'dotnet {string.Join(' ', arguments.Select(Relative))}' failed: {said} Nothing was changed.");
        }
    }

    private string Relative(string path) => Path.IsPathRooted(path) ? Path.GetRelativePath(root, path) : path;
}

/// <summary>A failure the command reports in one line.</summary>
internal sealed class NewDomainException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode => exitCode;
}
