using ConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;

namespace Estuary.Temporal.Hosting;

/// <summary>Reports whether the Temporal frontend answers, with <c>GetSystemInfo</c>: the one call every
/// Temporal-compatible server must serve, since clients make it on connect.</summary>
/// <param name="client">The worker's client (connected here if still lazy).</param>
/// <param name="options">Where Temporal is, for the message.</param>
internal sealed class TemporalHealthCheck(ITemporalClient client, ConnectionOptions options) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (!client.Connection.IsConnected)
            {
                await client.Connection.ConnectAsync().WaitAsync(Timeout, cancellationToken);
            }

            await client.Connection.WorkflowService.GetSystemInfoAsync(
                new GetSystemInfoRequest(),
                new RpcOptions { CancellationToken = cancellationToken, Timeout = Timeout });
            return HealthCheckResult.Healthy($"Temporal at {options.Address} answers.");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"Temporal at {options.Address} is unreachable: {e.Message}", e);
        }
    }
}
