using Estuary.Temporal.Domains;
using Microsoft.Extensions.Configuration;

namespace Estuary.Temporal.Configuration;

/// <summary>
/// What one worker process serves (the seed's <c>worker_configs</c> and <c>start_worker --task-queue … --domains …</c>),
/// bound from the <c>Estuary:Worker</c> section.
/// </summary>
public sealed class EstuaryWorkerOptions
{
    /// <summary>The configuration section bound to this class.</summary>
    public const string SectionName = "Estuary:Worker";

    /// <summary>Gets or sets the names of the domains served; empty means every domain given to the worker.
    /// Configured as a list (<c>Estuary:Worker:Domains:0=example</c>) or comma-separated (<c>Estuary:Worker:Domains=example,payments</c>).</summary>
    public IList<string> Domains { get; set; } = [];

    /// <summary>Gets or sets one task queue that every served domain is polled on; when unset, each domain is polled on
    /// its own <see cref="EstuaryDomain.DefaultTaskQueue"/>.</summary>
    public string? TaskQueue { get; set; }

    /// <summary>Gets or sets a value indicating whether the served domains' EF Core migrations are applied before
    /// the workers start polling (default <c>true</c>).</summary>
    public bool ApplyMigrations { get; set; } = true;

    /// <summary>Gets or sets how long the worker waits for each thing it needs at start-up (each served domain's
    /// database, then Temporal), retrying with back-off, before it gives up and the process exits with code 1
    /// (default 15 seconds).</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets a value indicating whether the worker makes the served domains' schedules in Temporal
    /// match what their workflows declare when it starts (default <c>true</c>).</summary>
    public bool ReconcileSchedules { get; set; } = true;

    /// <summary>Reads the options from configuration and checks them against the known domains.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="catalog">The domains this process knows.</param>
    /// <returns>Valid options.</returns>
    /// <exception cref="InvalidOperationException">A value is invalid; the message names the configuration key.</exception>
    public static EstuaryWorkerOptions FromConfiguration(IConfiguration configuration, DomainCatalog catalog)
    {
        var section = configuration.GetSection(SectionName);
        var options = new EstuaryWorkerOptions
        {
            TaskQueue = section[nameof(TaskQueue)],
            ApplyMigrations = ReadBool(section, nameof(ApplyMigrations), defaultValue: true),
            StartupTimeout = ReadTimeSpan(section, nameof(StartupTimeout), TimeSpan.FromSeconds(15)),
            ReconcileSchedules = ReadBool(section, nameof(ReconcileSchedules), defaultValue: true),
        };

        var domains = section.GetSection(nameof(Domains));
        var names = domains.Value is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : domains.GetChildren().Select(c => c.Value?.Trim() ?? string.Empty);
        foreach (var name in names)
        {
            options.Domains.Add(name);
        }

        options.Validate(catalog);
        return options;
    }

    /// <summary>Checks every value against the known domains.</summary>
    /// <param name="catalog">The domains this process knows.</param>
    /// <exception cref="InvalidOperationException">A value is invalid; the message names the configuration key.</exception>
    public void Validate(DomainCatalog catalog)
    {
        var known = string.Join(", ", catalog.Domains.Select(d => d.Domain.Name));
        foreach (var name in Domains)
        {
            if (catalog.Find(name) is null)
            {
                throw new InvalidOperationException(
                    $"Configuration key '{SectionName}:{nameof(Domains)}' names unknown domain '{name}' (known: {known}).");
            }
        }

        if (TaskQueue is not null && string.IsNullOrWhiteSpace(TaskQueue))
        {
            throw new InvalidOperationException($"Configuration key '{SectionName}:{nameof(TaskQueue)}' must not be empty when set.");
        }

        if (StartupTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException(
                $"Configuration key '{SectionName}:{nameof(StartupTimeout)}' must be positive, got '{StartupTimeout}'.");
        }

        if (catalog.Domains.Count == 0)
        {
            throw new InvalidOperationException("The worker was given no domain to serve.");
        }
    }

    /// <summary>Gets the domains served: those named in <see cref="Domains"/>, or all when none is named.</summary>
    /// <param name="catalog">The domains this process knows.</param>
    /// <returns>The served domains, in catalog order, each once.</returns>
    public IReadOnlyList<DomainDescriptor> ServedDomains(DomainCatalog catalog) =>
        Domains.Count == 0
            ? catalog.Domains
            : catalog.Domains.Where(d => Domains.Contains(d.Domain.Name, StringComparer.OrdinalIgnoreCase)).ToList();

    /// <summary>Groups the served domains by the task queue their worker polls.</summary>
    /// <param name="catalog">The domains this process knows.</param>
    /// <returns>Task queue to the domains polled on it, ordered by task queue.</returns>
    public IReadOnlyList<KeyValuePair<string, IReadOnlyList<DomainDescriptor>>> TaskQueues(DomainCatalog catalog) =>
        ServedDomains(catalog)
            .GroupBy(d => TaskQueue ?? d.Domain.DefaultTaskQueue, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => KeyValuePair.Create(g.Key, (IReadOnlyList<DomainDescriptor>)g.ToList()))
            .ToList();

    private static bool ReadBool(IConfigurationSection section, string key, bool defaultValue)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultValue;
        }

        return bool.TryParse(value, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"Configuration key '{SectionName}:{key}' must be true or false, got '{value}'.");
    }

    private static TimeSpan ReadTimeSpan(IConfigurationSection section, string key, TimeSpan defaultValue)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return defaultValue;
        }

        return TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"Configuration key '{SectionName}:{key}' must be a duration (e.g. 00:00:15), got '{value}'.");
    }
}
