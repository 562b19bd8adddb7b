using Estuary.Temporal.Domains;
using Estuary.Worker.DomainName.Data;

namespace Estuary.Worker.DomainName;

/// <summary>The DomainName domain: owns its workflows, activities, entities and PostgreSQL database.</summary>
public sealed class DomainNameDomain : EstuaryDomain<DomainNameDbContext>
{
    /// <inheritdoc />
    public override string Name => "domainname";

    /// <inheritdoc />
    public override string Description => "DomainName domain";
}
