using Estuary.DevServer.Grpc;
using Google.Protobuf;
using Temporalio.Api.Query.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Runs;

/// <summary>
/// A QueryWorkflow call waiting for a worker's answer. It is handed to a worker as a query task (a workflow
/// task poll answer with <c>query</c> set and the run's full history) whenever no workflow task of the run is
/// in a worker's hands, and answered through RespondQueryTaskCompleted.
/// </summary>
internal sealed class PendingQuery
{
    private const string TokenPrefix = "query:";

    public string Id { get; } = Guid.NewGuid().ToString();

    public required WorkflowRun Run { get; init; }

    public required WorkflowQuery Query { get; init; }

    public TaskCompletionSource<QueryWorkflowResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ByteString TaskToken => ByteString.CopyFromUtf8(TokenPrefix + Id);

    /// <summary>Offers the query again if the worker holding its task does not answer in time.</summary>
    public ITimer? Redelivery { get; set; }

    /// <summary>The query id in a query task token.</summary>
    public static string ParseTaskToken(ByteString token)
    {
        var text = token.ToStringUtf8();
        return text.StartsWith(TokenPrefix, StringComparison.Ordinal)
            ? text[TokenPrefix.Length..]
            : throw RpcErrors.InvalidArgument("Error deserializing query task token.");
    }
}
