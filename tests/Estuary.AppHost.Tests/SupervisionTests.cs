using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Estuary.AppHost.Tests;

/// <summary>The restart policy end to end on a resource of the test's own: a <c>sleep</c> killed again and again.</summary>
public sealed class SupervisionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Supervision_KilledMoreOftenThanMaxRestarts_BacksOffThenLeavesItStoppedWithOneErrorLine()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("The supervised resource is the 'sleep' command, which Windows does not have.");
        }

        var log = new AppHostLog();
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            AssemblyName = typeof(SupervisedAnnotation).Assembly.GetName().Name,
            DisableDashboard = true,
            Args = ["Estuary:Supervision:MaxRestarts=2", "DcpPublisher:ContainerRuntimeInitializationTimeout=00:00:00"],
        });
        builder.Services.AddLogging(logging => logging.AddProvider(log));
        builder.AddExecutable("sleeper", "sleep", Path.GetTempPath(), "600").WithSupervision();
        await using var app = builder.Build();
        using var timeout = new CancellationTokenSource(Timeout);
        await app.StartAsync(timeout.Token);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();

        // Two restarts, the second after twice the first's wait.
        var pid = await RunningProcessAsync(notifications, previous: 0, timeout.Token);
        Kill(pid);
        var first = await log.WaitForAsync(line => line.StartsWith("sleeper exited unexpectedly (exit code ", StringComparison.Ordinal), timeout.Token);
        Assert.EndsWith("; restarting it in 1 s (restart 1 of at most 2 within 00:05:00).", first, StringComparison.Ordinal);
        pid = await RunningProcessAsync(notifications, previous: pid, timeout.Token);
        Kill(pid);
        var second = await log.WaitForAsync(line => line.Contains("restart 2 of at most 2", StringComparison.Ordinal), timeout.Token);
        Assert.EndsWith("; restarting it in 2 s (restart 2 of at most 2 within 00:05:00).", second, StringComparison.Ordinal);

        // The third crash within the window: one error line, and the resource is left as it ended.
        pid = await RunningProcessAsync(notifications, previous: pid, timeout.Token);
        Kill(pid);
        var last = await log.WaitForAsync(line => line.Contains("it stays stopped", StringComparison.Ordinal), timeout.Token);
        Assert.StartsWith("sleeper exited unexpectedly (exit code ", last, StringComparison.Ordinal);
        Assert.EndsWith(") after 2 restarts within 00:05:00; it stays stopped: fix it, then start it from the dashboard.", last, StringComparison.Ordinal);
        Assert.True(notifications.TryGetCurrentState("sleeper", out var ended));
        Assert.Contains(ended.Snapshot.State?.Text, new[] { KnownResourceStates.Exited, KnownResourceStates.Finished });
        Assert.Equal(3, log.Lines.Count(line => line.StartsWith("sleeper exited", StringComparison.Ordinal)));

        // The dashboard's Start brings it back.
        var started = await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("sleeper", KnownResourceCommands.StartCommand, timeout.Token);
        Assert.True(started.Success, started.Message);
        await RunningProcessAsync(notifications, previous: pid, timeout.Token);
    }

    private static void Kill(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill();
    }

    private static async Task<int> RunningProcessAsync(ResourceNotificationService notifications, int previous, CancellationToken cancellationToken)
    {
        var running = await notifications.WaitForResourceAsync(
            "sleeper",
            e => e.Snapshot.State?.Text == KnownResourceStates.Running && AppHostTests.ProcessId(e) is var pid && pid != 0 && pid != previous,
            cancellationToken);
        return AppHostTests.ProcessId(running);
    }
}
