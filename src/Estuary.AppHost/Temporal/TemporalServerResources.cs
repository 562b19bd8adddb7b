namespace Aspire.Hosting.ApplicationModel;

/// <summary>Temporal's dev server image run as a container; its connection string is the frontend's <c>host:port</c>.</summary>
/// <param name="name">The resource name.</param>
public sealed class TemporalContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => TemporalConnectionString.Of(this);
}

/// <summary>The <c>temporal</c> CLI's dev server run as an executable; its connection string is the frontend's <c>host:port</c>.</summary>
/// <param name="name">The resource name.</param>
/// <param name="command">The CLI's path.</param>
/// <param name="workingDirectory">The working directory.</param>
public sealed class TemporalExecutableResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => TemporalConnectionString.Of(this);
}

/// <summary>The embedded <c>Estuary.DevServer</c> run as a project; its connection string is the frontend's <c>host:port</c>.</summary>
/// <param name="name">The resource name.</param>
public sealed class TemporalProjectResource(string name) : ProjectResource(name), IResourceWithConnectionString
{
    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => TemporalConnectionString.Of(this);
}

/// <summary>The connection string every Temporal server resource exposes: <c>host:port</c> of its gRPC endpoint.</summary>
internal static class TemporalConnectionString
{
    /// <summary>Builds the connection string of a server resource.</summary>
    /// <param name="server">The server resource.</param>
    /// <returns><c>host:port</c> of its <see cref="EstuaryEndpoints.TemporalGrpc"/> endpoint.</returns>
    public static ReferenceExpression Of(IResourceWithEndpoints server) =>
        ReferenceExpression.Create($"{new EndpointReference(server, EstuaryEndpoints.TemporalGrpc).Property(EndpointProperty.HostAndPort)}");
}

/// <summary>
/// The application's Temporal service, as <see cref="TemporalHostingExtensions.AddTemporal"/> chose it: its
/// <see cref="ResourceSurrogate.Server"/> is a <see cref="TemporalContainerResource"/>, <see cref="TemporalExecutableResource"/>
/// or <see cref="TemporalProjectResource"/> when running, the deployment's connection-string parameter when publishing.
/// Its connection string is the frontend's <c>host:port</c> (a deployment's may carry a namespace, an API key and TLS).
/// </summary>
/// <param name="server">The resource in the model.</param>
public sealed class TemporalResource(IResourceWithConnectionString server) : ResourceSurrogate(server);
