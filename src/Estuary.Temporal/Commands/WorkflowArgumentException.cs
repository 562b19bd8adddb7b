namespace Estuary.Temporal.Commands;

/// <summary>
/// Arguments given for a workflow, signal, query or update do not fit its parameters (count, type, JSON shape). Raised
/// before anything is sent to Temporal: the command line turns it into exit code 2, a dialog into a validation message.
/// </summary>
/// <param name="message">One line naming the argument and the problem.</param>
public sealed class WorkflowArgumentException(string message) : Exception(message);
