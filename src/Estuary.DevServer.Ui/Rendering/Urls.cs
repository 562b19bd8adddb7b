namespace Estuary.DevServer.Ui.Rendering;

/// <summary>The UI's URLs, the same as Temporal's UI uses, so links can be shared between the two.</summary>
internal static class Urls
{
    public static string Namespaces => "/namespaces";

    /// <summary><c>/namespaces/{ns}/workflows</c>, with <c>?query=</c> when filtered.</summary>
    public static string Workflows(string ns, string? query = null, string? nextPage = null, int? pageSize = null)
    {
        var url = $"/namespaces/{Segment(ns)}/workflows";
        var parameters = new List<string>(3);
        if (!string.IsNullOrWhiteSpace(query))
        {
            parameters.Add($"query={Uri.EscapeDataString(query)}");
        }
        if (nextPage is not null)
        {
            parameters.Add($"next={Uri.EscapeDataString(nextPage)}");
        }
        if (pageSize is { } size && size != Temporal.WorkflowList.DefaultPageSize)
        {
            parameters.Add($"pageSize={size}");
        }
        return parameters.Count == 0 ? url : $"{url}?{string.Join('&', parameters)}";
    }

    /// <summary>The counts by status of a list filter, as JSON for the list page's script.</summary>
    public static string Counts(string ns, string? query) =>
        $"/_ui/namespaces/{Segment(ns)}/counts{(string.IsNullOrWhiteSpace(query) ? "" : $"?query={Uri.EscapeDataString(query)}")}";

    /// <summary><c>/namespaces/{ns}/workflows/{workflowId}</c>: the latest run.</summary>
    public static string LatestRun(string ns, string workflowId) => $"/namespaces/{Segment(ns)}/workflows/{Segment(workflowId)}";

    /// <summary><c>/namespaces/{ns}/workflows/{workflowId}/{runId}/{tab}</c>.</summary>
    public static string Run(string ns, string workflowId, string runId, string tab = "history") =>
        $"/namespaces/{Segment(ns)}/workflows/{Segment(workflowId)}/{Segment(runId)}/{tab}";

    /// <summary>The start form, optionally filled in ("start another like this one").</summary>
    public static string StartWorkflow(string ns, string? workflowType = null, string? taskQueue = null, string? workflowId = null, string? input = null)
    {
        var parameters = new List<string>(4);
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                parameters.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }
        Add("workflowType", workflowType);
        Add("taskQueue", taskQueue);
        Add("workflowId", workflowId);
        Add("input", input);
        var url = $"/namespaces/{Segment(ns)}/workflows/start-workflow";
        return parameters.Count == 0 ? url : $"{url}?{string.Join('&', parameters)}";
    }

    /// <summary>The start form filled in from an existing run ("start another like this one").</summary>
    public static string StartWorkflowLike(string ns, string workflowId, string runId) =>
        $"/namespaces/{Segment(ns)}/workflows/start-workflow?fromWorkflowId={Uri.EscapeDataString(workflowId)}&fromRunId={Uri.EscapeDataString(runId)}";

    private static string Segment(string value) => Uri.EscapeDataString(value);
}
