using Estuary.DevServer.Ui.Rendering;
using Temporalio.Api.Common.V1;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>One run, as the URL names it.</summary>
public sealed record RunRef(string Namespace, string WorkflowId, string RunId)
{
    public WorkflowExecution Execution => new() { WorkflowId = WorkflowId, RunId = RunId };

    public string Url(string tab = "history") => Urls.Run(Namespace, WorkflowId, RunId, tab);
}
