using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Temporalio.Client;

namespace Aspire.Hosting;

/// <summary>Dashboard commands that start a domain's workflows on the running Temporal server.</summary>
public static class WorkflowCommandExtensions
{
    /// <summary>The name of the command's one argument.</summary>
    public const string ArgumentName = "argument";

    /// <summary>
    /// Adds the command <c>run-{workflow-type}</c> ("Run {WorkflowType}") to a worker: the dashboard asks for the
    /// workflow's argument (a JSON value such as <c>42</c> or <c>{"id":1}</c>; anything else is sent as a string) and
    /// the AppHost starts the workflow on <paramref name="taskQueue"/> with a Temporal client. The command's result
    /// is the workflow id. It is enabled while the worker is healthy.
    /// </summary>
    /// <param name="worker">The worker serving the workflow.</param>
    /// <param name="temporal">The Temporal resource.</param>
    /// <param name="workflowType">The workflow type name.</param>
    /// <param name="taskQueue">The task queue the worker polls.</param>
    /// <param name="argumentLabel">What the argument is, as the dashboard shows it (e.g. <c>Entity id</c>).</param>
    /// <param name="example">An example argument, shown as the input's placeholder.</param>
    /// <returns>The worker.</returns>
    public static IResourceBuilder<ProjectResource> WithWorkflowCommand(
        this IResourceBuilder<ProjectResource> worker,
        IResourceBuilder<TemporalResource> temporal,
        string workflowType,
        string taskQueue,
        string argumentLabel,
        string example) =>
        worker.WithCommand(
            CommandName(workflowType),
            $"Run {workflowType}",
            context => StartWorkflowAsync(context, temporal.Resource, workflowType, taskQueue),
            new CommandOptions
            {
                Description = $"Starts {workflowType} on task queue '{taskQueue}'.",
                IconName = "Play",
                Arguments =
                [
                    new InteractionInput
                    {
                        Name = ArgumentName,
                        Label = argumentLabel,
                        Description = "A JSON value (e.g. 42 or {\"id\": 1}); anything else is sent as a string.",
                        InputType = InputType.Text,
                        Placeholder = example,
                        Required = true,
                    },
                ],
                UpdateState = context => context.ResourceSnapshot.HealthStatus is HealthStatus.Healthy
                    ? ResourceCommandState.Enabled
                    : ResourceCommandState.Disabled,
            });

    /// <summary>Gets the command name of a workflow type: <c>ExampleWorkflow</c> gives <c>run-example-workflow</c>.</summary>
    /// <param name="workflowType">The workflow type name.</param>
    /// <returns>The command name.</returns>
    public static string CommandName(string workflowType) => $"run-{Kebab(workflowType)}";

    private static async Task<ExecuteCommandResult> StartWorkflowAsync(
        ExecuteCommandContext context, IResourceWithConnectionString temporal, string workflowType, string taskQueue)
    {
        var text = context.Arguments.GetString(ArgumentName) ?? string.Empty;
        object argument;
        try
        {
            argument = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            argument = text;
        }

        try
        {
            var address = await temporal.GetConnectionStringAsync(context.CancellationToken)
                ?? throw new InvalidOperationException($"Resource '{temporal.Name}' has no connection string yet.");
            var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(address) { Namespace = "default" });
            var workflowId = $"{Kebab(workflowType)}-{Guid.NewGuid():N}";
            var handle = await client.StartWorkflowAsync(
                workflowType,
                [argument],
                new WorkflowOptions(workflowId, taskQueue) { Rpc = new RpcOptions { CancellationToken = context.CancellationToken } });
            context.Logger.LogInformation("Started {WorkflowType} {WorkflowId} (run {RunId}) with argument {Argument}", workflowType, handle.Id, handle.ResultRunId, text);
            return CommandResults.Success($"Started {workflowType} {handle.Id}", new CommandResultData { Value = handle.Id, Format = CommandResultFormat.Text });
        }
        catch (Exception exception) when (exception is Temporalio.Exceptions.TemporalException or InvalidOperationException)
        {
            return CommandResults.Failure(exception);
        }
    }

    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : string.Empty) + char.ToLowerInvariant(c) : c.ToString()));
}
