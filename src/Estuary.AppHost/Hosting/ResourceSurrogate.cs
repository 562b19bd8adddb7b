namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// Stands for the resource an Estuary builder extension chose for the mode it runs in (a container, an executable, a
/// project or a connection-string parameter), the way Aspire's <c>AddConnectionString</c> stands for its parameter: it is
/// not added to the model, and has the chosen resource's name, annotations and connection string, so referencing it,
/// waiting for it or annotating it acts on that resource, and callers are written once for every mode.
/// </summary>
/// <param name="server">The resource in the model.</param>
public abstract class ResourceSurrogate(IResourceWithConnectionString server) : IResourceWithConnectionString
{
    /// <summary>Gets the resource in the model this one stands for.</summary>
    public IResourceWithConnectionString Server { get; } = server;

    /// <inheritdoc />
    public string Name => Server.Name;

    /// <inheritdoc />
    public ResourceAnnotationCollection Annotations => Server.Annotations;

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression => Server.ConnectionStringExpression;

    /// <inheritdoc />
    public string? ConnectionStringEnvironmentVariable => Server.ConnectionStringEnvironmentVariable;

    /// <inheritdoc />
    public ValueTask<string?> GetConnectionStringAsync(CancellationToken cancellationToken = default) => Server.GetConnectionStringAsync(cancellationToken);

    /// <inheritdoc />
    public IEnumerable<KeyValuePair<string, ReferenceExpression>> GetConnectionProperties() => Server.GetConnectionProperties();
}
