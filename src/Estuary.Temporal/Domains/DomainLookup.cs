namespace Estuary.Temporal.Domains;

/// <summary>Which domain a workflow or activity type belongs to, for the tags and log scopes of every execution.</summary>
public sealed class DomainLookup
{
    private readonly Dictionary<string, string> _byActivity = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _byWorkflow = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="DomainLookup"/> class.</summary>
    /// <param name="domains">The domains whose types are looked up.</param>
    public DomainLookup(IEnumerable<DomainDescriptor> domains)
    {
        foreach (var domain in domains)
        {
            foreach (var activity in domain.Activities)
            {
                _byActivity[activity.Name] = domain.Domain.Name;
            }

            foreach (var workflow in domain.Workflows)
            {
                _byWorkflow[workflow.Name] = domain.Domain.Name;
            }
        }
    }

    /// <summary>Gets the domain of an activity type, or <c>null</c> when no known domain declares it.</summary>
    /// <param name="activityType">The activity type name.</param>
    /// <returns>The domain name.</returns>
    public string? OfActivity(string activityType) => _byActivity.GetValueOrDefault(activityType);

    /// <summary>Gets the domain of a workflow type, or <c>null</c> when no known domain declares it.</summary>
    /// <param name="workflowType">The workflow type name.</param>
    /// <returns>The domain name.</returns>
    public string? OfWorkflow(string workflowType) => _byWorkflow.GetValueOrDefault(workflowType);
}
