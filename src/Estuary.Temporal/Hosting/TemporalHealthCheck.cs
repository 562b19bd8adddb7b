using Microsoft.Extensions.Diagnostics.HealthChecks;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;

namespace Estuary.Temporal.Hosting;

/// <summary>
/// Reports whether a Temporal frontend answers <c>GetSystemInfo</c>: the one call every Temporal-compatible server must
/// serve, since clients make it on connect. A worker checks the Temporal its client connects to; the AppHost checks its
/// Temporal resource the same way.
/// </summary>
/// <param name="connection">Gets the connection to check (connected here when still lazy); asked on every check.</param>
public sealed class TemporalHealthCheck(Func<CancellationToken, Task<ITemporalConnection>> connection) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Initializes a new instance of the <see cref="TemporalHealthCheck"/> class that checks a client's connection.</summary>
    /// <param name="client">The client (a worker's, usually lazy until its first call).</param>
    public TemporalHealthCheck(ITemporalClient client)
        : this(_ => Task.FromResult(client.Connection))
    {
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ITemporalConnection? target = null;
        try
        {
            target = await connection(cancellationToken);
            if (!target.IsConnected)
            {
                await target.ConnectAsync().WaitAsync(Timeout, cancellationToken);
            }

            await target.WorkflowService.GetSystemInfoAsync(
                new GetSystemInfoRequest(),
                new RpcOptions { CancellationToken = cancellationToken, Timeout = Timeout });
            return HealthCheckResult.Healthy($"Temporal at {target.Options.TargetHost} answers.");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"Temporal at {target?.Options.TargetHost ?? "(no address yet)"} is unreachable: {e.Message}", e);
        }
    }
}
