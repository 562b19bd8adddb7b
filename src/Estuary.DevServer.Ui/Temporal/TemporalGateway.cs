using Temporalio.Api.WorkflowService.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Client;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>
/// The UI's only way to Temporal: <c>WorkflowService</c> calls over one connection, so the UI runs against any
/// Temporal server. Calls carry the request's cancellation (a closed tab stops its calls) and a deadline.
/// </summary>
internal sealed class TemporalGateway(ITemporalConnection connection, TemporalUiOptions options, RemoteCodec? codec = null)
{
    /// <summary>Deadline of ordinary calls.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The identity actions are recorded with in histories (signals, cancellations, terminations, starts).</summary>
    public const string Identity = "estuary-ui";

    public WorkflowService Service => connection.WorkflowService;

    /// <summary>Decodes what is shown and encodes what is sent, through the codec server when one is configured.</summary>
    public RemoteCodec Codec { get; } = codec ?? new RemoteCodec(null, null, NullLogger<RemoteCodec>.Instance);

    public string Address => options.TemporalAddress;

    public string DefaultNamespace => options.DefaultNamespace;

    public static RpcOptions Call(CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        new() { CancellationToken = cancellationToken, Timeout = timeout ?? CallTimeout };
}
