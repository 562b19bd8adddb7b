using Estuary.DevServer.Ui.Rendering;
using Temporalio.Api.Common.V1;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>One run, as the URL names it.</summary>
public sealed record RunRef(string Namespace, string WorkflowId, string RunId)
{
    /// <summary>The run as Temporal's API names it.</summary>
    public WorkflowExecution Execution => new() { WorkflowId = WorkflowId, RunId = RunId };

    /// <summary>The URL of one of the run's pages.</summary>
    public string Url(string tab = "history") => Urls.Run(Namespace, WorkflowId, RunId, tab);
}
