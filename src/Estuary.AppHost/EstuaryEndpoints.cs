namespace Aspire.Hosting;

/// <summary>Endpoint names and well-known ports of the Estuary resources, in one place.</summary>
internal static class EstuaryEndpoints
{
    /// <summary>Temporal's frontend (gRPC, h2c): what workers and clients connect to.</summary>
    public const string TemporalGrpc = "grpc";

    /// <summary>Temporal's Web UI (the container's, the CLI's or the embedded server's).</summary>
    public const string TemporalUi = "ui";

    /// <summary>The port Temporal is served on in every local mode unless <c>Temporal:Port</c> says otherwise: Temporal's
    /// own default, so <c>estuary</c> and Temporal's tools reach it with no flags.</summary>
    public const int TemporalDefaultPort = 7233;

    /// <summary>The Web UI listens on the frontend's port plus this, as <c>temporal server start-dev</c> does (8233).</summary>
    public const int TemporalUiPortOffset = 1000;

    /// <summary>The namespace every local Temporal server is started with.</summary>
    public const string TemporalNamespace = "default";

    /// <summary>The gRPC port of Temporal's dev server image (inside the container).</summary>
    public const int TemporalGrpcContainerPort = 7233;

    /// <summary>The Web UI port of Temporal's dev server image (inside the container).</summary>
    public const int TemporalUiContainerPort = 8233;

    /// <summary>PostgreSQL's wire protocol endpoint of a local (executable) server.</summary>
    public const string PostgresTcp = "tcp";

    /// <summary>A worker's HTTP endpoint, serving <see cref="WorkerHealthPath"/>.</summary>
    public const string WorkerHttp = "http";

    /// <summary>A worker's readiness endpoint (every health check, from the service defaults).</summary>
    public const string WorkerHealthPath = "/health";
}
