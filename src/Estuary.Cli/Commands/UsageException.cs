namespace Estuary.Cli.Commands;

/// <summary>The command line is wrong (unknown domain or workflow, bad arguments): exit code 2, nothing started.</summary>
/// <param name="message">One line naming the problem.</param>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The command was valid but could not be carried out (Temporal unreachable, workflow failed): exit code 1.</summary>
/// <param name="message">One line naming the problem.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class CommandFailedException(string message, Exception? inner = null) : Exception(message, inner);
