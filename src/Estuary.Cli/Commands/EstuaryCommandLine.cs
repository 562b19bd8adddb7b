using System.CommandLine;
using Estuary.Temporal.Domains;
using Microsoft.Extensions.Configuration;

namespace Estuary.Cli.Commands;

/// <summary>
/// Estuary's command line, the .NET form of the seed's Django management commands: <c>list</c>,
/// <c>trigger &lt;domain&gt; &lt;workflow&gt; &lt;args…&gt;</c> and <c>worker</c>. Everything is driven by domain discovery,
/// so adding a workflow or a domain needs no command code.
/// </summary>
public sealed class EstuaryCommandLine
{
    /// <summary>Exit code of a successful command.</summary>
    public const int Success = 0;

    /// <summary>Exit code of a valid command that failed (Temporal unreachable, workflow failed…).</summary>
    public const int Failed = 1;

    /// <summary>Exit code of an invalid command line (nothing was started).</summary>
    public const int Usage = 2;

    private readonly DomainCatalog _catalog;
    private readonly IConfiguration _configuration;
    private readonly TextWriter _output;
    private readonly TextWriter _error;

    /// <summary>Initializes a new instance of the <see cref="EstuaryCommandLine"/> class.</summary>
    /// <param name="domains">The domains this executable knows.</param>
    /// <param name="configuration">Configuration (Temporal connection, worker settings).</param>
    /// <param name="output">Where results go.</param>
    /// <param name="error">Where errors go.</param>
    public EstuaryCommandLine(IEnumerable<EstuaryDomain> domains, IConfiguration configuration, TextWriter output, TextWriter error)
    {
        _catalog = new DomainCatalog(domains);
        _configuration = configuration;
        _output = output;
        _error = error;
    }

    /// <summary>Parses and runs a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="cancellationToken">Stops a running command (a worker, a wait for a result).</param>
    /// <returns>The process exit code: <see cref="Success"/>, <see cref="Failed"/> or <see cref="Usage"/>.</returns>
    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Estuary: run and trigger the business processes of every domain as Temporal workflows.")
        {
            new ListCommand(_catalog, _output).Command,
            new TriggerCommand(_catalog, _configuration, _output).Command,
            new WorkerCommand(_catalog, _configuration).Command,
        };

        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0 && parseResult.Action is not System.CommandLine.Help.HelpAction)
        {
            var command = parseResult.CommandResult.Command;
            var path = command == root ? "estuary" : $"estuary {command.Name}";
            var missing = command.Arguments.FirstOrDefault(a =>
                a.Arity.MinimumNumberOfValues > 0 && (parseResult.GetResult(a)?.Tokens.Count ?? 0) == 0);
            var message = parseResult.UnmatchedTokens.Count > 0
                ? $"Unknown command or argument '{parseResult.UnmatchedTokens[0]}'."
                : missing is null ? parseResult.Errors[0].Message : $"Missing argument '{missing.Name}'.";
            await _error.WriteLineAsync($"error: {message} (see '{path} --help')");
            return Usage;
        }

        try
        {
            return await parseResult.InvokeAsync(
                new InvocationConfiguration { Output = _output, Error = _error, EnableDefaultExceptionHandler = false },
                cancellationToken);
        }
        catch (UsageException e)
        {
            await _error.WriteLineAsync($"error: {e.Message}");
            return Usage;
        }
        catch (CommandFailedException e)
        {
            await _error.WriteLineAsync($"error: {e.Message}");
            return Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _error.WriteLineAsync("error: canceled.");
            return Failed;
        }
    }
}
