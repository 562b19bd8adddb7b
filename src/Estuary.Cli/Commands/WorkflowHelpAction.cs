using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Estuary.Cli.Commands;

/// <summary>
/// <c>--help</c>: the usual help, and for a <c>workflow</c> verb given a workflow id
/// (<c>estuary workflow signal booking-B-42 --help</c>) the signals, queries and updates that workflow's own type defines.
/// </summary>
/// <param name="help">The default help.</param>
/// <param name="targets">The verbs taking a workflow id.</param>
/// <param name="error">Where problems finding the workflow are written.</param>
internal sealed class WorkflowHelpAction(HelpAction help, IReadOnlyDictionary<Command, WorkflowTarget> targets, TextWriter error)
    : AsynchronousCommandLineAction
{
    /// <inheritdoc />
    public override bool ClearsParseErrors => true;

    /// <inheritdoc />
    public override async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default)
    {
        var exitCode = help.Invoke(parseResult);
        if (!targets.TryGetValue(parseResult.CommandResult.Command, out var target) || target.IdGiven(parseResult) is not { } id)
        {
            return exitCode;
        }

        var output = parseResult.InvocationConfiguration.Output;
        try
        {
            var execution = await target.OpenAsync(parseResult, cancellationToken);
            await output.WriteLineAsync($"Workflow '{id}' is a {execution.Description.WorkflowType} ({execution.Description.Status}); it defines:");
            await execution.WriteHandlersAsync(output);
            return exitCode;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return EstuaryCommandLine.Usage;
        }
        catch (CommandFailedException e)
        {
            await error.WriteLineAsync($"error: {e.Message}");
            return EstuaryCommandLine.Failed;
        }
    }
}
