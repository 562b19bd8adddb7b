using Estuary.Temporal.Domains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Estuary.Testing;

/// <summary>Builds a worker process in the test process: what a worker's Program.cs does, minus the web endpoints.</summary>
public static class WorkerHost
{
    /// <summary>Builds (does not start) a host serving the given domains.</summary>
    /// <param name="temporalAddress">The Temporal frontend, <c>host:port</c>.</param>
    /// <param name="settings">More configuration: <c>ConnectionStrings:{domain}-db</c> for each domain with a
    /// database, and any <c>Estuary:*</c> key. Payloads are encrypted with <see cref="TestEncryption"/>'s key unless
    /// these settings say otherwise.</param>
    /// <param name="configure">Adjusts the builder before the worker is added, when given.</param>
    /// <param name="domains">The domains.</param>
    /// <returns>The host; <c>StartAsync</c> migrates the databases and starts polling, and its services hold the
    /// <c>ITemporalClient</c> to start workflows with.</returns>
    public static IHost Build(
        string temporalAddress,
        IReadOnlyDictionary<string, string?> settings,
        Action<HostApplicationBuilder>? configure,
        params EstuaryDomain[] domains)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Temporal:Address"] = temporalAddress });
        builder.Configuration.AddInMemoryCollection(TestEncryption.Settings);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configure?.Invoke(builder);
        builder.AddEstuaryWorker(domains);
        return builder.Build();
    }
}
