using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>
/// A health check that, while its inner check fails, keeps asking every <see cref="Step"/> for up to a
/// <c>patience</c> before answering.
/// </summary>
/// <remarks>
/// Aspire asks an unhealthy resource's health checks again after 1, 2, 3, 4 and then every 5 s (and sooner when the
/// resource's state changes). A resource that becomes ready just after a check was answered is therefore seen up to
/// 5 s later, and everything that waits for it starts that much later: with PostgreSQL, Temporal and the workers in a
/// chain, these gaps were a large part of the AppHost's start-up. Asking again inside the check notices readiness
/// within <see cref="Step"/>; a patience just under Aspire's longest interval keeps the checks back to back.
/// </remarks>
/// <param name="inner">The check asked.</param>
/// <param name="patience">How long to keep asking while it fails.</param>
internal sealed class SettlingHealthCheck(IHealthCheck inner, TimeSpan patience) : IHealthCheck
{
    /// <summary>The pause between two asks.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    /// <summary>The patience the AppHost's checks use: just under Aspire's longest pause between checks.</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(4);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var result = await inner.CheckHealthAsync(context, cancellationToken);
            if (result.Status == HealthStatus.Healthy || Stopwatch.GetElapsedTime(started) + Step >= patience)
            {
                return result;
            }

            await Task.Delay(Step, cancellationToken);
        }
    }
}

/// <summary>Registers the AppHost's health checks, each wrapped in a <see cref="SettlingHealthCheck"/>.</summary>
internal static class SettlingHealthCheckExtensions
{
    /// <summary>Registers a check under a key for <c>WithHealthCheck(key)</c>. The one instance given answers every
    /// health check run, so what it holds (a connection, an HTTP client) is made once.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="key">The registration key.</param>
    /// <param name="check">The inner check.</param>
    public static void AddSettlingHealthCheck(this IDistributedApplicationBuilder builder, string key, IHealthCheck check)
    {
        var settling = new SettlingHealthCheck(check, SettlingHealthCheck.DefaultPatience);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => settling, failureStatus: null, tags: null));
    }
}
