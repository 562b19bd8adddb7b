using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// Watches the resources marked by <see cref="SupervisionExtensions.WithSupervision{T}"/> and starts again, through
/// Aspire's own Start command, those that go from Starting or Running straight to a terminal state: a stop that was
/// asked for (the dashboard's Stop, the application shutting down) passes through Stopping first.
/// </summary>
internal sealed class ResourceSupervisor(
    SupervisionOptions options,
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    ResourceLoggerService resourceLoggers,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory,
    TimeProvider time) : BackgroundService
{
    private static readonly HashSet<string?> Alive = [KnownResourceStates.Starting, KnownResourceStates.Running];

    private static readonly HashSet<string?> Ended = [KnownResourceStates.Exited, KnownResourceStates.Finished, KnownResourceStates.FailedToStart];

    private readonly ILogger _logger = loggerFactory.CreateLogger(StartupLog.Category);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var states = new Dictionary<string, string?>(StringComparer.Ordinal);
        var restarts = new Dictionary<string, Queue<DateTimeOffset>>(StringComparer.Ordinal);
        try
        {
            await foreach (var resourceEvent in notifications.WatchAsync(stoppingToken))
            {
                if (!resourceEvent.Resource.HasAnnotationOfType<SupervisedAnnotation>())
                {
                    continue;
                }

                var state = resourceEvent.Snapshot.State?.Text;
                states.TryGetValue(resourceEvent.ResourceId, out var previous);
                states[resourceEvent.ResourceId] = state;
                if (Alive.Contains(previous) && Ended.Contains(state) && !lifetime.ApplicationStopping.IsCancellationRequested)
                {
                    var history = restarts.TryGetValue(resourceEvent.Resource.Name, out var known) ? known : restarts[resourceEvent.Resource.Name] = new();
                    OnUnexpectedExit(resourceEvent, history, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void OnUnexpectedExit(ResourceEvent exited, Queue<DateTimeOffset> history, CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        while (history.TryPeek(out var oldest) && now - oldest > options.Window)
        {
            history.Dequeue();
        }

        var name = exited.Resource.Name;
        var exitCode = exited.Snapshot.ExitCode is { } code ? $"exit code {code}" : "no exit code";
        var resourceLogger = resourceLoggers.GetLogger(exited.ResourceId);
        if (options.NextDelay(history.Count) is not { } delay)
        {
            _logger.LogError(
                "{Resource} exited unexpectedly ({ExitCode}) after {Restarts} restarts within {Window}; it stays stopped: fix it, then start it from the dashboard.",
                name, exitCode, history.Count, options.Window);
            resourceLogger.LogError("Exited unexpectedly ({ExitCode}) after {Restarts} restarts within {Window}; not restarted again.", exitCode, history.Count, options.Window);
            return;
        }

        history.Enqueue(now);
        _logger.LogWarning(
            "{Resource} exited unexpectedly ({ExitCode}); restarting it in {Delay} s (restart {Restart} of at most {MaxRestarts} within {Window}).",
            name, exitCode, delay.TotalSeconds, history.Count, options.MaxRestarts, options.Window);
        resourceLogger.LogWarning("Exited unexpectedly ({ExitCode}); the AppHost restarts it in {Delay} s.", exitCode, delay.TotalSeconds);
        _ = RestartAsync(exited, delay, stoppingToken);
    }

    private async Task RestartAsync(ResourceEvent exited, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, time, stoppingToken);

            // Someone may have started it in the meantime, or the application may be shutting down.
            if (lifetime.ApplicationStopping.IsCancellationRequested
                || !notifications.TryGetCurrentState(exited.ResourceId, out var current)
                || !Ended.Contains(current.Snapshot.State?.Text))
            {
                return;
            }

            var result = await commands.ExecuteCommandAsync(exited.ResourceId, KnownResourceCommands.StartCommand, stoppingToken);
            if (!result.Success)
            {
                _logger.LogError("Restarting {Resource} failed: {Message}", exited.Resource.Name, result.Message);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
