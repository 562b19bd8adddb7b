using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>Logs one line when every resource is healthy, with the time since the AppHost process started.</summary>
public static class StartupReportExtensions
{
    /// <summary>The start of the line logged when every resource is healthy.</summary>
    public const string ReadyMessagePrefix = "Estuary is ready";

    /// <summary>
    /// Logs <c>Estuary is ready: N resources healthy in S s (each resource's time)</c> once every resource (parameters and resources started only on request, such as Aspire's project rebuilders, aside) is healthy, or
    /// which resource stopped first when one fails. The start-up benchmark waits for this line.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The same builder.</returns>
    public static IDistributedApplicationBuilder AddStartupReport(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder;
        }

        builder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger(StartupLog.Category);
            var names = @event.Model.Resources.Where(r => r is not ParameterResource && !r.HasAnnotationOfType<ExplicitStartupAnnotation>()).Select(r => r.Name).ToList();
            _ = ReportAsync(notifications, names, logger, stopping);
            return Task.CompletedTask;
        });
        return builder;
    }

    private static async Task ReportAsync(ResourceNotificationService notifications, List<string> names, ILogger logger, CancellationToken stopping)
    {
        try
        {
            var started = Process.GetCurrentProcess().StartTime;
            var healthy = await Task.WhenAll(names.Select(async name =>
            {
                await notifications.WaitForResourceHealthyAsync(name, WaitBehavior.StopOnResourceUnavailable, stopping);
                return (Name: name, Seconds: (DateTime.Now - started).TotalSeconds);
            }));
            logger.LogInformation(
                "{Prefix}: {Count} resources healthy in {Seconds:F1} s ({Resources})",
                ReadyMessagePrefix,
                names.Count,
                healthy.Max(h => h.Seconds),
                string.Join(", ", healthy.OrderBy(h => h.Seconds).Select(h => $"{h.Name} {h.Seconds:F1} s")));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped before everything was healthy: nothing to report.
        }
        catch (DistributedApplicationException exception)
        {
            logger.LogWarning("Estuary is not ready: {Reason}", exception.Message);
        }
    }
}
