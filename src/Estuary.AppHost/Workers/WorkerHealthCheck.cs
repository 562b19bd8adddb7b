using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>Healthy when the worker's health endpoint answers with a success status (the worker's own checks: Temporal
/// reachable, pollers running, database reachable).</summary>
/// <param name="endpoint">The worker's HTTP endpoint.</param>
/// <param name="path">The health path.</param>
internal sealed class WorkerHealthCheck(EndpointReference endpoint, string path) : IHealthCheck, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!endpoint.IsAllocated)
        {
            return HealthCheckResult.Unhealthy($"The endpoint '{endpoint.EndpointName}' is not allocated yet.");
        }

        var url = new Uri(new Uri(endpoint.Url), path);
        try
        {
            using var response = await _http.GetAsync(url, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"{url} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{url} does not answer: {exception.Message}", exception);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
