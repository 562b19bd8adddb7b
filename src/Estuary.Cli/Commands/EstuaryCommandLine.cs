using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Estuary.Temporal.Commands;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Microsoft.Extensions.Configuration;
using Temporalio.Exceptions;

namespace Estuary.Cli.Commands;

/// <summary>
/// Estuary's command line, the .NET form of the seed's Django management commands: <c>list</c>,
/// <c>trigger &lt;domain&gt; &lt;workflow&gt; &lt;args…&gt;</c>, <c>workflow &lt;verb&gt;</c>, <c>worker</c> and <c>new domain &lt;Name&gt;</c>. Everything is driven
/// by domain discovery, so adding a workflow or a domain needs no command code. Every outcome is an exit code and, with
/// <c>--json</c>, one JSON document on standard output (failures included: <c>{"status": "invalid"|"failed", "error": …}</c>).
/// </summary>
public sealed partial class EstuaryCommandLine
{
    /// <summary>Exit code of a successful command.</summary>
    public const int Success = 0;

    /// <summary>Exit code of a valid command that failed (Temporal unreachable, workflow failed…).</summary>
    public const int Failed = 1;

    /// <summary>Exit code of an invalid command line (nothing was sent to Temporal).</summary>
    public const int Usage = 2;

    private readonly CommandContext _context;

    /// <summary>Initializes a new instance of the <see cref="EstuaryCommandLine"/> class.</summary>
    /// <param name="domains">The domains this executable knows.</param>
    /// <param name="configuration">Configuration (Temporal connection, worker settings).</param>
    /// <param name="output">Where results go.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="temporalSources">Where Temporal's connection comes from besides configuration and the flags
    /// (default: the process's Temporal environment, <c>TEMPORAL_*</c> and profile file).</param>
    /// <param name="workingDirectory">The directory commands run in (default: the process's current directory).</param>
    public EstuaryCommandLine(
        IEnumerable<EstuaryDomain> domains,
        IConfiguration configuration,
        TextWriter output,
        TextWriter error,
        TemporalConnectionSources? temporalSources = null,
        string? workingDirectory = null)
    {
        _context = new CommandContext(
            new DomainCatalog(domains),
            configuration,
            temporalSources ?? TemporalConnectionSources.Default,
            output,
            error,
            workingDirectory ?? Environment.CurrentDirectory,
            TimeProvider.System);
    }

    /// <summary>Parses and runs a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="cancellationToken">Stops a running command (a worker, a wait for a result).</param>
    /// <returns>The process exit code: <see cref="Success"/>, <see cref="Failed"/> or <see cref="Usage"/>.</returns>
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var workflow = new WorkflowCommand(_context);
        var root = new RootCommand("Estuary: run, start and operate the business processes of every domain as Temporal workflows.")
        {
            new ListCommand(_context).Command,
            new TriggerCommand(_context).Command,
            workflow.Command,
            new ScheduleCommand(_context).Command,
            new WorkerCommand(_context).Command,
            new NewCommand(_context).Command,
        };
        var helpOption = root.Options.OfType<HelpOption>().Single();
        helpOption.Action = new WorkflowHelpAction((HelpAction)helpOption.Action!, workflow.Targets, _context.Error);

        // Decided from the raw arguments so that a command line that does not parse still answers in JSON.
        var json = args.TakeWhile(a => a != "--").Contains("--json");
        var parseResult = root.Parse(args);
        if (parseResult.Action is not WorkflowHelpAction && UsageError(parseResult) is { } usage)
        {
            var path = string.Join(' ', Path(parseResult.CommandResult).Select(c => c == root ? "estuary" : c.Name));
            return await ReportAsync(json, Usage, $"{usage} (see '{path} --help')", "invalid", details: null);
        }

        try
        {
            return await parseResult.InvokeAsync(
                new InvocationConfiguration { Output = _context.Output, Error = _context.Error, EnableDefaultExceptionHandler = false },
                cancellationToken);
        }
        catch (UsageException e)
        {
            return await ReportAsync(json, Usage, e.Message, "invalid", details: null);
        }
        catch (WorkflowArgumentException e)
        {
            return await ReportAsync(json, Usage, e.Message, "invalid", details: null);
        }
        catch (CommandFailedException e)
        {
            return await ReportAsync(json, Failed, e.Message, "failed", e.Details);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await ReportAsync(json, Failed, "canceled.", "canceled", details: null);
        }
        catch (RpcException e)
        {
            return await ReportAsync(json, Failed, $"Temporal failed: {e.Message}", "failed", details: null);
        }
    }

    // The first problem of the command line, as one sentence, or null when it parses. A positional value that looks like
    // an option (before any "--") is an unknown option: System.CommandLine would take it as an argument value.
    private static string? UsageError(ParseResult parseResult)
    {
        var afterDoubleDash = parseResult.Tokens.SkipWhile(t => t.Type != TokenType.DoubleDash).ToList();
        var command = parseResult.CommandResult.Command;
        var option = command.Arguments
            .SelectMany(a => parseResult.GetResult(a)?.Tokens ?? [])
            .Where(t => !afterDoubleDash.Contains(t, ReferenceEqualityComparer.Instance))
            .Select(t => t.Value)
            .Concat(parseResult.UnmatchedTokens.Where(t => !afterDoubleDash.Any(d => d.Value == t)))
            .FirstOrDefault(OptionLike().IsMatch);
        if (option is not null)
        {
            return $"Unknown option '{option}'.";
        }

        if (parseResult.Errors.Count == 0)
        {
            return null;
        }

        var missing = command.Arguments.FirstOrDefault(a =>
            a.Arity.MinimumNumberOfValues > 0 && (parseResult.GetResult(a)?.Tokens.Count ?? 0) == 0);
        return parseResult.UnmatchedTokens.Count > 0
            ? $"Unknown command or argument '{parseResult.UnmatchedTokens[0]}'."
            : missing is null ? parseResult.Errors[0].Message : $"Missing argument '{missing.Name}'.";
    }

    private static Stack<Command> Path(CommandResult result)
    {
        var chain = new Stack<Command>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                chain.Push(c.Command);
            }
        }

        return chain;
    }

    private async Task<int> ReportAsync(bool json, int exitCode, string message, string status, IReadOnlyDictionary<string, object?>? details)
    {
        if (!json)
        {
            await _context.Error.WriteLineAsync($"error: {message}");
            return exitCode;
        }

        var document = new Dictionary<string, object?>();
        foreach (var (key, value) in details ?? new Dictionary<string, object?>())
        {
            document[key] = value;
        }

        document.TryAdd("status", status);
        document["error"] = message;
        await _context.Output.WriteLineAsync(CliJson.Serialize(document));
        return exitCode;
    }

    // "--name", "-x" (not "-5" or "-1.5", which are negative numbers).
    [GeneratedRegex("^--?[A-Za-z]")]
    private static partial Regex OptionLike();
}
