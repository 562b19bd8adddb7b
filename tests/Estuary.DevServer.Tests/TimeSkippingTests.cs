using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;
using Temporalio.Testing;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

public sealed class TimeSkippingTests(TimeSkippingFixture fixture) : IClassFixture<TimeSkippingFixture>
{
    private static readonly TimeSpan ThirtyDays = TimeSpan.FromDays(30);

    // The SDK's 5 s default is too short for a .NET process starting on a loaded 2-core build machine.
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    [DevServerOnlyFact]
    public async Task DelayAsync_ThirtyDaysInProcessTimeSkipping_TimerFiresThirtyServerDaysAfterItStarted()
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<SleepWorkflow>());
        var (handle, wokeAt) = await worker.ExecuteAsync(async () =>
        {
            var handle = await fixture.Client.StartWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(ThirtyDays), new(TestIds.New("wf"), taskQueue));
            return (handle, await handle.GetResultAsync());
        });
        await AssertSleptOnServerClockAsync(handle, ThirtyDays, wokeAt);
    }

    [DevServerOnlyFact]
    public async Task StartTimeSkippingAsync_ExistingPathIsDevServer_ThirtyDaySleepEndsThirtyServerDaysLater()
    {
        await using var env = await WorkflowEnvironment.StartTimeSkippingAsync(new()
        {
            TestServer = new() { ExistingPath = DevServerExecutable.Path, StartupTimeout = StartupTimeout },
        });
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(env.Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<SleepWorkflow>());
        var (handle, wokeAt) = await worker.ExecuteAsync(async () =>
        {
            var handle = await env.Client.StartWorkflowAsync((SleepWorkflow wf) => wf.RunAsync(ThirtyDays), new(TestIds.New("wf"), taskQueue));
            return (handle, await handle.GetResultAsync());
        });
        await AssertSleptOnServerClockAsync(handle, ThirtyDays, wokeAt);
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
            var history = await handle.WaitForHistoryAsync(h => h.Any(e => e.EventType == EventType.TimerStarted), "the timer started");
            var timerStarted = history.Single(e => e.EventType == EventType.TimerStarted).EventTime.ToDateTime();

            // An absence has no notification: watch the history for a second, in which a skipping clock would fire the timer.
            Assert.Empty(await EventsWithinAsync(env.Client, handle.Id, TimeSpan.FromSeconds(1)));
            Assert.True(await env.GetCurrentTimeAsync() < timerStarted.AddDays(1), "the server's clock reached the timer");
            Assert.Equal(WorkflowExecutionStatus.Running, (await handle.DescribeAsync()).Status);

            var wokeAt = await handle.GetResultAsync();
            await AssertSleptOnServerClockAsync(handle, TimeSpan.FromDays(1), wokeAt);
        });
    }

    /// <summary>The server's own clock says how long a <see cref="SleepWorkflow"/> slept: its timer's events and the
    /// time the workflow woke at.</summary>
    private static async Task AssertSleptOnServerClockAsync(WorkflowHandle handle, TimeSpan duration, DateTime wokeAt)
    {
        var history = await handle.HistoryAsync();
        var started = history.Single(e => e.EventType == EventType.TimerStarted).EventTime.ToDateTime();
        var fired = history.Single(e => e.EventType == EventType.TimerFired).EventTime.ToDateTime();
        Assert.True(fired - started >= duration, $"timer started at {started:O}, fired at {fired:O}");
        Assert.True(wokeAt >= started + duration, $"timer started at {started:O}, workflow woke at {wokeAt:O}");
    }

    /// <summary>The events appended to the latest run's history within <paramref name="window"/>.</summary>
    private static async Task<IReadOnlyList<HistoryEvent>> EventsWithinAsync(ITemporalClient client, string workflowId, TimeSpan window)
    {
        var request = new GetWorkflowExecutionHistoryRequest
        {
            Namespace = client.Options.Namespace,
            Execution = new() { WorkflowId = workflowId },
            WaitNewEvent = true,
        };
        request.NextPageToken = (await client.WorkflowService.GetWorkflowExecutionHistoryAsync(request)).NextPageToken;
        using var watch = new CancellationTokenSource(window);
        try
        {
            return (await client.WorkflowService.GetWorkflowExecutionHistoryAsync(request, new() { CancellationToken = watch.Token })).History.Events;
        }
        catch (Exception e) when (watch.IsCancellationRequested && e is OperationCanceledException or RpcException { Code: RpcException.StatusCode.Cancelled })
        {
            return [];
        }
    }
}
