using System.Diagnostics;
using Estuary.DevServer.Tests.Workflows;
using Temporalio.Client;
using Temporalio.Testing;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

public sealed class TimeSkippingTests(TimeSkippingFixture fixture) : IClassFixture<TimeSkippingFixture>
{
    private static readonly TimeSpan ThirtyDays = TimeSpan.FromDays(30);

    // The SDK's 5 s default is too short for a .NET process starting on a loaded 2-core build machine.
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    [DevServerOnlyFact]
    public async Task DelayAsync_ThirtyDaysInProcessTimeSkipping_CompletesWithinSeconds()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<SleepWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var stopwatch = Stopwatch.StartNew();
            var before = DateTime.UtcNow;
            var firedAt = await fixture.Client.ExecuteWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(ThirtyDays), new(TestIds.New("wf"), taskQueue));
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
            Assert.True(firedAt >= before + ThirtyDays, $"workflow time {firedAt:O} should be 30 days after {before:O}");
        });
    }

    [DevServerOnlyFact]
    public async Task StartTimeSkippingAsync_ExistingPathIsDevServer_ThirtyDaySleepCompletesWithinSeconds()
    {
        await using var env = await WorkflowEnvironment.StartTimeSkippingAsync(new()
        {
            TestServer = new() { ExistingPath = DevServerExecutable.Path, StartupTimeout = StartupTimeout },
        });
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(env.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<SleepWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var stopwatch = Stopwatch.StartNew();
            await env.Client.ExecuteWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(ThirtyDays), new(TestIds.New("wf"), taskQueue));
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
        });
    }

    [DevServerOnlyFact]
    public async Task DelayAsync_EnvironmentOnTimeSkippingServer_AdvancesServerTime()
    {
        await using var env = await WorkflowEnvironment.StartTimeSkippingAsync(new()
        {
            TestServer = new() { ExistingPath = DevServerExecutable.Path, StartupTimeout = StartupTimeout },
        });
        var before = await env.GetCurrentTimeAsync();
        await env.DelayAsync(TimeSpan.FromHours(5));
        var after = await env.GetCurrentTimeAsync();
        Assert.True(after - before >= TimeSpan.FromHours(5), $"{before:O} -> {after:O}");
    }

    [DevServerOnlyFact]
    public async Task StartLocalAsync_ExistingPathIsDevServer_RunsWorkflowWithActivity()
    {
        await using var env = await WorkflowEnvironment.StartLocalAsync(new()
        {
            DevServerOptions = new() { ExistingPath = DevServerExecutable.Path, StartupTimeout = StartupTimeout },
        });
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(env.Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<GreetingWorkflow>()
            .AddAllActivities(new GreetingActivities()));
        var result = await worker.ExecuteAsync(() =>
            env.Client.ExecuteWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync("local"), new(TestIds.New("wf"), taskQueue)));
        Assert.Equal("Hello, local!", result);
    }

    [DevServerOnlyFact]
    public async Task StartTimeSkippingAsync_NobodyWaitsForResult_TimeStaysLockedUntilResultIsAwaited()
    {
        await using var env = await WorkflowEnvironment.StartTimeSkippingAsync(new()
        {
            TestServer = new() { ExistingPath = DevServerExecutable.Path, StartupTimeout = StartupTimeout },
        });
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(env.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<SleepWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await env.Client.StartWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(TimeSpan.FromDays(1)), new(TestIds.New("wf"), taskQueue));
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(Temporalio.Api.Enums.V1.WorkflowExecutionStatus.Running, (await handle.DescribeAsync()).Status);
            var stopwatch = Stopwatch.StartNew();
            await handle.GetResultAsync();
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
        });
    }
}
