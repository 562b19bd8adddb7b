using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.Temporal.Monitoring;

/// <summary>The outcome names used in logs and metric tags.</summary>
public static class Outcome
{
    /// <summary>The execution returned a result.</summary>
    public const string Completed = "completed";

    /// <summary>The execution threw.</summary>
    public const string Failed = "failed";

    /// <summary>The execution was canceled.</summary>
    public const string Canceled = "canceled";

    /// <summary>The workflow continued as a new run.</summary>
    public const string ContinuedAsNew = "continued_as_new";

    /// <summary>Names the outcome of an execution that threw.</summary>
    /// <param name="exception">What it threw.</param>
    /// <returns>The outcome name.</returns>
    public static string Of(Exception exception) => exception switch
    {
        ContinueAsNewException => ContinuedAsNew,
        OperationCanceledException or CanceledFailureException => Canceled,
        _ => Failed,
    };
}
