using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

/// <summary>Where the AppHost keeps state across runs (the local PostgreSQL cluster, Temporal's database file).</summary>
internal static class EstuaryState
{
    /// <summary>
    /// Gets the state directory: <c>Estuary:StateDirectory</c>, else <c>obj/estuary</c> of the AppHost project, which is
    /// per checkout (two checkouts never share a cluster) and readable by the <c>postgres</c> user when running as root.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>An absolute path.</returns>
    public static string Directory(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(builder.Configuration["Estuary:StateDirectory"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(builder.AppHostDirectory, "obj", "estuary"));
}
