using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Microsoft.Extensions.Configuration;

namespace Estuary.Cli.Commands;

/// <summary>What every command works with.</summary>
/// <param name="Catalog">The domains this executable knows.</param>
/// <param name="Configuration">Configuration (Temporal connection, worker settings).</param>
/// <param name="TemporalSources">Where Temporal's connection comes from besides configuration.</param>
/// <param name="Output">Where results go.</param>
/// <param name="Error">Where errors and progress notes go.</param>
/// <param name="WorkingDirectory">The directory the command runs in (<c>new domain</c> finds the repository from it).</param>
/// <param name="Time">The clock.</param>
internal sealed record CommandContext(
    DomainCatalog Catalog,
    IConfiguration Configuration,
    TemporalConnectionSources TemporalSources,
    TextWriter Output,
    TextWriter Error,
    string WorkingDirectory,
    TimeProvider Time)
{
    /// <summary>Gets the names of the known domains, for messages.</summary>
    public string DomainNames => string.Join(", ", Catalog.Domains.Select(d => d.Domain.Name));
}
