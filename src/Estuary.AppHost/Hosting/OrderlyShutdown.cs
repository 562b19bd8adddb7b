using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>Stops the application's resources before the AppHost exits.</summary>
public static class OrderlyShutdownExtensions
{
    /// <summary>
    /// When the AppHost is asked to stop (Ctrl+C, SIGTERM), stops its running resources with Aspire's own Stop command and
    /// waits for them, within the host's shutdown timeout: the resources that wait for others (the workers) first, then the
    /// rest (Temporal, PostgreSQL). Without it the AppHost exits at once and its orchestrator stops them afterwards, so the
    /// terminal's prompt comes back while PostgreSQL and Temporal still hold their ports and files.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The application builder.</returns>
    public static IDistributedApplicationBuilder StopResourcesBeforeExit(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsRunMode)
        {
            // Hosted services stop in the reverse order of registration: this one before Aspire's own.
            builder.Services.AddHostedService<OrderlyShutdown>();
        }

        return builder;
    }

    private sealed class OrderlyShutdown(
        DistributedApplicationModel model,
        ResourceNotificationService notifications,
        ResourceCommandService commands,
        ILoggerFactory loggerFactory) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            var running = model.Resources
                .Where(r => r is ExecutableResource or ProjectResource or ContainerResource)
                .Where(r => notifications.TryGetCurrentState(r.Name, out var current) && current.Snapshot.State?.Text == KnownResourceStates.Running)
                .ToList();
            var dependents = running.Where(r => r.Annotations.OfType<WaitAnnotation>().Any()).ToList();
            try
            {
                await StopAsync(dependents, cancellationToken);
                await StopAsync(running.Except(dependents), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                loggerFactory.CreateLogger(StartupLog.Category).LogWarning("Not every resource stopped within the shutdown timeout; the orchestrator stops the rest after the AppHost exits.");
            }
        }

        private Task StopAsync(IEnumerable<IResource> resources, CancellationToken cancellationToken) =>
            Task.WhenAll(resources.Select(async resource =>
            {
                var stopped = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand, cancellationToken);
                if (stopped.Success)
                {
                    await notifications.WaitForResourceAsync(resource.Name, KnownResourceStates.TerminalStates, cancellationToken);
                }
            }));
    }
}
