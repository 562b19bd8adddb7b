using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Temporalio.Extensions.Hosting;

namespace Estuary.Temporal.Hosting;

/// <summary>Reports whether every hosted Temporal worker of the process is running (started and not stopped).</summary>
/// <param name="hostedServices">The process's hosted services, among which the Temporal workers.</param>
internal sealed class WorkerHealthCheck(IEnumerable<IHostedService> hostedServices) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var workers = hostedServices.OfType<TemporalWorkerService>().ToList();
        if (workers.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("No Temporal worker is registered."));
        }

        if (workers.Any(w => w.ExecuteTask is null))
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("A Temporal worker has not started yet."));
        }

        var stopped = workers.FirstOrDefault(w => w.ExecuteTask!.IsCompleted);
        if (stopped is not null)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                "A Temporal worker has stopped.", stopped.ExecuteTask!.Exception?.GetBaseException()));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"{workers.Count} Temporal worker(s) running."));
    }
}
