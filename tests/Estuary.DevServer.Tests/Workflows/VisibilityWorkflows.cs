using Temporalio.Common;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>Custom search attributes the visibility tests register and filter on.</summary>
public static class VisibilityKeys
{
    public static readonly SearchAttributeKey<string> Color = SearchAttributeKey.CreateKeyword("EstuaryColor");
    public static readonly SearchAttributeKey<long> Size = SearchAttributeKey.CreateLong("EstuarySize");
    public static readonly SearchAttributeKey<DateTimeOffset> Due = SearchAttributeKey.CreateDateTimeOffset("EstuaryDue");
    public static readonly SearchAttributeKey<IReadOnlyCollection<string>> Tags = SearchAttributeKey.CreateKeywordList("EstuaryTags");
}

/// <summary>What <see cref="TaggingWorkflow"/> upserts, and whether it then waits for its <c>Finish</c> signal.</summary>
public sealed record TagPlan(string Color, long Size, DateTimeOffset Due, IReadOnlyCollection<string> Tags, bool WaitForFinish = false);

/// <summary>Upserts its search attributes, then completes (or waits to be told to).</summary>
[Workflow]
public sealed class TaggingWorkflow
{
    private bool _finish;

    [WorkflowRun]
    public async Task<string> RunAsync(TagPlan plan)
    {
        Workflow.UpsertTypedSearchAttributes(
            VisibilityKeys.Color.ValueSet(plan.Color),
            VisibilityKeys.Size.ValueSet(plan.Size),
            VisibilityKeys.Due.ValueSet(plan.Due),
            VisibilityKeys.Tags.ValueSet(plan.Tags));
        if (plan.WaitForFinish)
        {
            await Workflow.WaitConditionAsync(() => _finish);
        }
        return plan.Color;
    }

    [WorkflowSignal]
    public Task FinishAsync()
    {
        _finish = true;
        return Task.CompletedTask;
    }
}
