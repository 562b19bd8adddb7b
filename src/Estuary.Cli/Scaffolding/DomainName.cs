using System.Text.RegularExpressions;
using Estuary.Cli.Commands;

namespace Estuary.Cli.Scaffolding;

/// <summary>A new domain's names: <c>Shipping</c> for types and projects, <c>shipping</c> for configuration and resources.</summary>
/// <param name="Pascal">The name as types and projects spell it.</param>
internal sealed partial record DomainName(string Pascal)
{
    /// <summary>Gets the name in lower case: the domain's name, task queue, database and resource prefix.</summary>
    public string Lower => Pascal.ToLowerInvariant();

    /// <summary>Gets the name in camel case, for C# variables.</summary>
    public string Camel => char.ToLowerInvariant(Pascal[0]) + Pascal[1..];

    /// <summary>Gets the worker project's name.</summary>
    public string Project => $"Estuary.Worker.{Pascal}";

    /// <summary>Reads a name as the user typed it; its first letter becomes upper case.</summary>
    /// <param name="text">The name.</param>
    /// <returns>The names.</returns>
    /// <exception cref="UsageException">It is not 1 to 40 letters and digits starting with a letter.</exception>
    public static DomainName Parse(string text) =>
        Valid().IsMatch(text)
            ? new DomainName(char.ToUpperInvariant(text[0]) + text[1..])
            : throw new UsageException(
                $"A domain name is 1 to 40 letters and digits starting with a letter (e.g. Shipping), got '{text}'.");

    // ASCII only: the name becomes a C# identifier, a project and directory name, a PostgreSQL database and a resource name.
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{0,39}$")]
    private static partial Regex Valid();
}
