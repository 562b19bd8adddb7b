using Estuary.Cli.Commands;

namespace Estuary.Cli.Scaffolding;

/// <summary>An Estuary repository on disk: the directory holding <c>Estuary.sln</c>, and the files a new domain changes.</summary>
internal sealed class EstuaryRepository
{
    /// <summary>The solution file that marks a repository's root.</summary>
    public const string SolutionFileName = "Estuary.sln";

    private EstuaryRepository(string root) => Root = root;

    /// <summary>Gets the repository's root directory.</summary>
    public string Root { get; }

    /// <summary>Gets the solution.</summary>
    public string Solution => Path.Combine(Root, SolutionFileName);

    /// <summary>Gets the CLI's project.</summary>
    public string CliProject => Path.Combine(Root, "src", "Estuary.Cli", "Estuary.Cli.csproj");

    /// <summary>Gets the file listing the CLI's domains.</summary>
    public string CliHost => Path.Combine(Root, "src", "Estuary.Cli", "CliHost.cs");

    /// <summary>Gets the AppHost's project.</summary>
    public string AppHostProject => Path.Combine(Root, "src", "Estuary.AppHost", "Estuary.AppHost.csproj");

    /// <summary>Gets the AppHost's model.</summary>
    public string AppHost => Path.Combine(Root, "src", "Estuary.AppHost", "AppHost.cs");

    /// <summary>Gets the domain template: its worker and test projects under the placeholder name.</summary>
    public string DomainTemplate => Path.Combine(Root, "templates", "estuary-domain");

    /// <summary>Finds the repository <paramref name="directory"/> is in: the nearest directory, itself or above, holding
    /// <c>Estuary.sln</c>.</summary>
    /// <param name="directory">Where to start (the current directory).</param>
    /// <returns>The repository.</returns>
    /// <exception cref="CommandFailedException">No directory on the way up holds the solution.</exception>
    public static EstuaryRepository Find(string directory)
    {
        for (var current = new DirectoryInfo(Path.GetFullPath(directory)); current is not null; current = current.Parent)
        {
            if (File.Exists(Path.Combine(current.FullName, SolutionFileName)))
            {
                return new EstuaryRepository(current.FullName);
            }
        }

        throw new CommandFailedException(
            $"{directory} is not in an Estuary repository (no {SolutionFileName} in it or any directory above): run this inside your clone.");
    }

    /// <summary>Gets a path as messages show it: relative to the root, with <c>/</c>.</summary>
    /// <param name="path">A full path.</param>
    /// <returns>The path from the root.</returns>
    public string Relative(string path) => Path.GetRelativePath(Root, path).Replace(Path.DirectorySeparatorChar, '/');
}
