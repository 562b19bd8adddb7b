using System.Reflection;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Estuary.Temporal.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.UserSecrets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>What <see cref="LocalEndpointsExtensions.PublishLocalEndpoints"/> does once the application runs.</summary>
internal sealed class LocalEndpointsPublisher(
    LocalEndpointsPublisher.Target target,
    DistributedApplicationModel model,
    DistributedApplicationOptions applicationOptions,
    ResourceNotificationService notifications,
    IConfiguration configuration,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger(StartupLog.Category);
    private LocalEndpoints? _written;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_written is not null)
        {
            LocalEndpoints.Remove(target.Path, _written.ProcessId);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Parameters have no life cycle; resources started only on request (e.g. a project's rebuilder) may never run.
            await Task.WhenAll(model.Resources
                .Where(r => r is not ParameterResource && !r.HasAnnotationOfType<ExplicitStartupAnnotation>())
                .Select(r => notifications.WaitForResourceHealthyAsync(r.Name, stoppingToken)));

            var encryption = target.Temporal.Annotations.OfType<AppHostPayloadEncryption>().FirstOrDefault()
                ?.Describe(typeof(LocalEndpointsPublisher).Assembly.GetCustomAttribute<UserSecretsIdAttribute>()?.UserSecretsId);
            var endpoints = LocalEndpoints.OfCurrentProcess(await TemporalAsync(stoppingToken), Otlp(), Dashboard(), encryption);
            var postgres = WithoutPassword(await target.Postgres.GetConnectionStringAsync(stoppingToken));
            try
            {
                endpoints.Write(target.Path);
                _written = endpoints;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Could not write {Path}, estuary will not find this AppHost by itself: {Message}", target.Path, exception.Message);
            }

            _logger.LogInformation("{Summary}", Summary(endpoints, postgres));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task<LocalTemporal> TemporalAsync(CancellationToken cancellationToken)
    {
        var address = await target.Temporal.GetConnectionStringAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Resource '{target.Temporal.Name}' has no connection string.");
        var ui = target.Temporal.Server is IResourceWithEndpoints server && server.GetEndpoint(EstuaryEndpoints.TemporalUi) is { Exists: true } endpoint
            ? endpoint.Url
            : null;
        return new LocalTemporal(address, EstuaryEndpoints.TemporalNamespace, ui);
    }

    // Where Aspire told the resources to export telemetry: the CLI's spans then land in the same place as theirs.
    private LocalOtlp? Otlp()
    {
        foreach (var resource in model.Resources)
        {
            if (notifications.TryGetCurrentState(resource.Name, out var current)
                && Variable(current, LocalOtlp.EndpointKey) is { Length: > 0 } endpoint)
            {
                return new LocalOtlp(endpoint, Variable(current, LocalOtlp.ProtocolKey), Variable(current, LocalOtlp.HeadersKey));
            }
        }

        return null;

        static string? Variable(ResourceEvent resource, string name) =>
            resource.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == name)?.Value;
    }

    // The URL with its login token, as Aspire prints it at start.
    private string? Dashboard()
    {
        if (applicationOptions.DisableDashboard
            || configuration["ASPNETCORE_URLS"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() is not { } url)
        {
            return null;
        }

        return configuration["AppHost:BrowserToken"] is { Length: > 0 } token ? $"{url.TrimEnd('/')}/login?t={token}" : url;
    }

    // Key by key, to keep the connection string as Aspire wrote it (DbConnectionStringBuilder lower-cases the keys).
    private static string? WithoutPassword(string? connectionString) =>
        connectionString is null
            ? null
            : string.Join(';', connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Where(part => !part.Split('=', 2)[0].Trim().Equals("Password", StringComparison.OrdinalIgnoreCase)));

    private string Summary(LocalEndpoints endpoints, string? postgres)
    {
        var summary = new StringBuilder("Estuary is ready.").AppendLine();
        summary.Append($"  Temporal:   {endpoints.Temporal.Address}, namespace {endpoints.Temporal.Namespace}");
        summary.AppendLine(endpoints.Temporal.Ui is { } ui ? $" (UI {ui})" : string.Empty);
        summary.AppendLine($"  PostgreSQL: {postgres} (password: the AppHost's user secret Parameters:{target.Postgres.Name}-password)");
        if (endpoints.Dashboard is { } dashboard)
        {
            summary.AppendLine($"  Dashboard:  {dashboard}");
        }

        summary.Append($"  estuary finds them in {target.Path}: estuary trigger example example 1 --wait");
        return summary.ToString();
    }

    /// <summary>The resources to describe and the file to write.</summary>
    /// <param name="Temporal">The Temporal resource.</param>
    /// <param name="Postgres">The PostgreSQL server.</param>
    /// <param name="Path">The endpoints file.</param>
    internal sealed record Target(TemporalResource Temporal, EstuaryPostgresResource Postgres, string Path);
}
