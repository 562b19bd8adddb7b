using System.CommandLine;
using System.Reflection;
using Estuary.Temporal.Activities;
using Estuary.Temporal.Commands;
using Estuary.Temporal.Domains;

namespace Estuary.Cli.Commands;

/// <summary><c>list</c>: every domain with its task queue, workflows (with their arguments, signals, queries and updates) and
/// activities.</summary>
internal sealed class ListCommand
{
    public ListCommand(CommandContext context)
    {
        var (catalog, output) = (context.Catalog, context.Output);
        Command = new Command("list", "List domains, their task queues, workflows (with argument names and types) and activities.");
        Command.SetAction(async (_, _) =>
        {
            foreach (var descriptor in catalog.Domains)
            {
                var domain = descriptor.Domain;
                await output.WriteLineAsync($"{domain.Name}: {domain.Description}");
                await output.WriteLineAsync($"  task queue: {domain.DefaultTaskQueue}");
                await output.WriteLineAsync("  workflows:");
                foreach (var workflow in descriptor.Workflows)
                {
                    var result = WorkflowArgumentBinder.TypeName(workflow.ResultType);
                    await output.WriteLineAsync(
                        $"    {workflow.Name} (trigger {domain.Name} {DomainDescriptor.ShortName(workflow.Name).ToLowerInvariant()}) ({WorkflowArgumentBinder.Describe(workflow)}) -> {result}");
                    foreach (var handler in workflow.Handlers)
                    {
                        var answer = handler.ResultType == typeof(void) ? string.Empty : $" -> {WorkflowArgumentBinder.TypeName(handler.ResultType)}";
                        await output.WriteLineAsync($"      {handler.KindName} {handler.Name} ({WorkflowArgumentBinder.Describe(handler.Parameters)}){answer}");
                    }
                }

                await output.WriteLineAsync("  activities:");
                foreach (var activity in descriptor.Activities)
                {
                    var transactional = activity.Method.GetCustomAttribute<TransactionalAttribute>() is null ? string.Empty : " [transactional]";
                    await output.WriteLineAsync($"    {activity.Name} ({activity.DeclaringType.Name}.{activity.Method.Name}){transactional}");
                }
            }

            return EstuaryCommandLine.Success;
        });
    }

    public Command Command { get; }
}
