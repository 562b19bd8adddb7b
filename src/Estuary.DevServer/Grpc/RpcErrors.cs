using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Common.V1;

namespace Estuary.DevServer.Grpc;

/// <summary>Builds the gRPC errors Temporal answers with, including typed failure details where the SDK reads them.</summary>
internal static class RpcErrors
{
    public static RpcException InvalidArgument(string message) => new(new Status(StatusCode.InvalidArgument, message));

    public static RpcException NotFound(string message) => new(new Status(StatusCode.NotFound, message));

    public static RpcException FailedPrecondition(string message) => new(new Status(StatusCode.FailedPrecondition, message));

    public static RpcException Unimplemented(string message) => new(new Status(StatusCode.Unimplemented, message));

    public static RpcException Internal(string message) => new(new Status(StatusCode.Internal, message));

    /// <summary>An error whose <c>grpc-status-details-bin</c> trailer carries <paramref name="detail"/> (a Temporal errordetails message).</summary>
    public static RpcException WithDetail(StatusCode code, string message, IMessage detail)
    {
        var status = new GrpcStatus { Code = (int)code, Message = message, Details = { Any.Pack(detail) } };
        var trailers = new Metadata { { "grpc-status-details-bin", status.ToByteArray() } };
        return new RpcException(new Status(code, message), trailers);
    }

    public static RpcException NamespaceNotFound(string name) =>
        WithDetail(StatusCode.NotFound, $"Namespace {name} is not found.",
            new Temporalio.Api.ErrorDetails.V1.NamespaceNotFoundFailure { Namespace = name });
}
