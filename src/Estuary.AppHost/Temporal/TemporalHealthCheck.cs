using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;

namespace Aspire.Hosting;

/// <summary>
/// Healthy when the Temporal frontend answers <c>GetSystemInfo</c>, the call every SDK makes first. The connection
/// is made once and reused: it reconnects by itself when the server comes back on the same address.
/// </summary>
/// <param name="server">The Temporal server resource.</param>
internal sealed class TemporalHealthCheck(IResourceWithConnectionString server) : IHealthCheck
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);

    private TemporalConnection? _connection;

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (_connection is null)
            {
                var address = await server.GetConnectionStringAsync(cancellationToken)
                    ?? throw new InvalidOperationException($"Resource '{server.Name}' has no connection string yet.");

                // ConnectAsync itself calls GetSystemInfo.
                _connection = await TemporalConnection.ConnectAsync(new TemporalConnectionOptions(address));
                return HealthCheckResult.Healthy();
            }

            await _connection.WorkflowService.GetSystemInfoAsync(
                new GetSystemInfoRequest(),
                new RpcOptions { Timeout = CallTimeout, CancellationToken = cancellationToken, Retry = false });
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Temporal at '{server.Name}' does not answer GetSystemInfo: {exception.Message}", exception);
        }
    }
}
