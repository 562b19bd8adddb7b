namespace Estuary.Cli.Commands;

/// <summary>The command line is wrong (unknown domain, workflow or workflow id, bad arguments): exit code 2, nothing sent.</summary>
/// <param name="message">One line naming the problem.</param>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The command was valid but could not be carried out (Temporal unreachable, workflow failed): exit code 1.</summary>
/// <param name="message">One line naming the problem.</param>
/// <param name="inner">The underlying error, if any.</param>
/// <param name="details">What the <c>--json</c> document says besides <c>error</c> (the workflow's id, its <c>status</c>…);
/// <c>status</c> is <c>failed</c> unless given.</param>
public sealed class CommandFailedException(string message, Exception? inner = null, IReadOnlyDictionary<string, object?>? details = null)
    : Exception(message, inner)
{
    /// <summary>Gets what the <c>--json</c> document says besides <c>error</c>.</summary>
    public IReadOnlyDictionary<string, object?> Details { get; } = details ?? new Dictionary<string, object?>();
}
