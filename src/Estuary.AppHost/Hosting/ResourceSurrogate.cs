namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// Stands for the resource an Estuary builder extension chose for the mode it runs in (a container, an executable, a
/// project or a connection-string parameter), the way Aspire's <c>AddConnectionString</c> stands for its parameter: it is
/// not added to the model, and has the chosen resource's name, annotations and connection string, so referencing it,
/// waiting for it or annotating it acts on that resource, and callers are written once for every mode. A derived
/// surrogate may give its clients another connection string (one that names a password file instead of the password).
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
    public virtual ReferenceExpression ConnectionStringExpression => Server.ConnectionStringExpression;

    /// <inheritdoc />
    public string? ConnectionStringEnvironmentVariable => Server.ConnectionStringEnvironmentVariable;

    /// <inheritdoc />
    public virtual ValueTask<string?> GetConnectionStringAsync(CancellationToken cancellationToken = default) => Server.GetConnectionStringAsync(cancellationToken);

    /// <inheritdoc />
    public virtual IEnumerable<KeyValuePair<string, ReferenceExpression>> GetConnectionProperties() => Server.GetConnectionProperties();
}
