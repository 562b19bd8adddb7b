using System.Reflection;
using Estuary.Temporal.Configuration;
using Microsoft.Extensions.Hosting;

namespace Estuary.Temporal.Domains;

/// <summary>
/// One business domain (Example, Bookings, Payments, …): the unit that owns workflows, activities, entities and
/// a database. A domain project declares exactly one subclass; everything else is discovered from its assembly.
/// </summary>
public abstract class EstuaryDomain
{
    /// <summary>Gets the domain's name as used on the command line and in configuration (lower-case, e.g. <c>example</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Gets a one-line description shown by <c>list</c>.</summary>
    public abstract string Description { get; }

    /// <summary>Gets the task queue the domain's workers poll by default (the domain name unless overridden).</summary>
    public virtual string DefaultTaskQueue => Name;

    /// <summary>
    /// Gets the EF Core context type of the domain's database, or <c>null</c> when the domain has no database.
    /// The connection string is <c>ConnectionStrings:{Name}-db</c>.
    /// </summary>
    public virtual Type? DbContextType => null;

    /// <summary>Gets the name of the domain's database connection string.</summary>
    public string ConnectionName => $"{Name}-db";

    /// <summary>Gets the assembly scanned for the domain's workflows and activities.</summary>
    public virtual Assembly Assembly => GetType().Assembly;

    /// <summary>Gets the types scanned for the domain's workflows and activities: every type of <see cref="Assembly"/>
    /// unless a domain narrows it (several domains sharing one assembly, as in tests).</summary>
    public virtual IEnumerable<Type> Types => Assembly.GetTypes();

    /// <summary>Registers the domain's own services (business services, …). The DbContext of a domain deriving from
    /// <see cref="EstuaryDomain{TContext}"/> is registered by the worker; this hook is for everything else.</summary>
    /// <param name="builder">The host being built.</param>
    public virtual void ConfigureServices(IHostApplicationBuilder builder)
    {
    }

    /// <summary>
    /// Sets the domain's default activity options, used by <see cref="Workflows.EstuaryWorkflow"/> for every activity
    /// call unless the call overrides them. Configuration (<c>Estuary:Domains:{Name}:Activities:*</c>) is applied on top.
    /// </summary>
    /// <param name="defaults">The defaults to adjust, pre-filled with Estuary's own defaults.</param>
    public virtual void ConfigureActivityDefaults(ActivityDefaultsOptions defaults)
    {
    }

    /// <summary>Registers the domain's database, if it has one; overridden by <see cref="EstuaryDomain{TContext}"/>.</summary>
    /// <param name="builder">The host being built.</param>
    internal virtual void AddDatabase(IHostApplicationBuilder builder)
    {
    }
}
