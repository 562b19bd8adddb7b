using Temporalio.Exceptions;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>What a failed Temporal call means to a page.</summary>
internal static class TemporalErrors
{
    public static bool IsNotFound(RpcException e) => e.Code == RpcException.StatusCode.NotFound;

    public static bool IsInvalidArgument(RpcException e) => e.Code == RpcException.StatusCode.InvalidArgument;

    /// <summary>Whether the server does not know the request at all (an older server, or one without that feature).</summary>
    public static bool IsUnsupported(RpcException e) =>
        e.Code is RpcException.StatusCode.Unimplemented or RpcException.StatusCode.InvalidArgument or RpcException.StatusCode.FailedPrecondition;

    /// <summary>The message a person reads: the server's own text, or what happened to the connection.</summary>
    public static string Describe(RpcException e, string address) => e.Code switch
    {
        RpcException.StatusCode.Unavailable => $"Temporal at {address} is unavailable: {e.Message}",
        RpcException.StatusCode.DeadlineExceeded => $"Temporal at {address} did not answer in time.",
        _ => e.Message,
    };
}
