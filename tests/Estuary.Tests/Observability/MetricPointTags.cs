using OpenTelemetry.Metrics;

namespace Estuary.Tests.Observability;

/// <summary>Reads a tag of an exported metric point, as the metric tests tell their own points by task queue.</summary>
internal static class MetricPointTags
{
    /// <summary>Gets the value of the tag <paramref name="key"/> of <paramref name="point"/>, or null when it has none.</summary>
    public static string? Tag(this MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }
}
