using Estuary.DevServer.Tests.Workflows;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// A server on a database file stopped and started again on the same file: what was in flight continues and finishes,
/// and what was recorded answers as before. The worker and the client stay connected across the restart.
/// </summary>
public sealed class RestartTests
{
    private static readonly System.Type[] Workflows =
    [
        typeof(SleepThenGreetWorkflow), typeof(WaitForSignalWorkflow), typeof(ParentOfSignalledChildWorkflow), typeof(UpdatableWorkflow),
        typeof(RetriedWorkflow), typeof(CountedCronWorkflow), typeof(RetriedActivityWorkflow), typeof(HeldActivityWorkflow),
    ];

    private static TemporalWorkerOptions Work(string taskQueue, TracedActivities activities)
    {
        var options = new TemporalWorkerOptions(taskQueue).AddAllActivities(activities);
        foreach (var workflow in Workflows)
        {
            options.AddWorkflow(Temporalio.Workflows.WorkflowDefinition.Create(workflow));
        }
        return options;
    }

    [DevServerOnlyFact]
    public async Task Restart_WorkflowsInFlight_EachContinuesAndFinishes()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        var taskQueue = TestIds.New("tq");
        var activities = new TracedActivities(server.FileNamed("trace"));
        using var worker = new TemporalWorker(client, Work(taskQueue, activities));
        await worker.ExecuteAsync(async () =>
        {
            // Due while the server is down, and due after it is back.
            var shortSleep = await client.StartWorkflowAsync((SleepThenGreetWorkflow wf) => wf.RunAsync(TimeSpan.FromSeconds(1), "short"), new(TestIds.New("sleep"), taskQueue));
            var longSleep = await client.StartWorkflowAsync((SleepThenGreetWorkflow wf) => wf.RunAsync(TimeSpan.FromSeconds(5), "long"), new(TestIds.New("sleep"), taskQueue));
            var signalled = await client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(2), new(TestIds.New("signal"), taskQueue));
            await signalled.SignalAsync(wf => wf.AddAsync("before"));
            var childId = TestIds.New("child");
            var parent = await client.StartWorkflowAsync((ParentOfSignalledChildWorkflow wf) => wf.RunAsync(childId), new(TestIds.New("parent"), taskQueue));
            var updatable = await client.StartWorkflowAsync((UpdatableWorkflow wf) => wf.RunAsync(), new(TestIds.New("update"), taskQueue));
            var firstUpdate = await updatable.ExecuteUpdateAsync(wf => wf.AddAsync("before"));
            var retried = await client.StartWorkflowAsync((RetriedWorkflow wf) => wf.RunAsync(),
                new(TestIds.New("retry"), taskQueue) { RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromSeconds(3) } });
            var cron = await client.StartWorkflowAsync((CountedCronWorkflow wf) => wf.RunAsync(3),
                new(TestIds.New("cron"), taskQueue) { CronSchedule = "@every 1s" });
            await RestartableServer.WaitForEventAsync(shortSleep, EventType.TimerStarted);
            await RestartableServer.WaitForEventAsync(longSleep, EventType.TimerStarted);
            await RestartableServer.WaitForEventAsync(parent, EventType.ChildWorkflowExecutionStarted);
            await RestartableServer.WaitForEventAsync(client.GetWorkflowHandle(retried.Id, runId: retried.ResultRunId), EventType.WorkflowExecutionFailed);
            await RestartableServer.WaitForEventAsync(client.GetWorkflowHandle(cron.Id, runId: cron.ResultRunId), EventType.WorkflowExecutionCompleted);

            await server.RestartAsync(downtime: TimeSpan.FromSeconds(2));

            await signalled.SignalAsync(wf => wf.AddAsync("after"));
            await client.GetWorkflowHandle<WaitForSignalWorkflow>(childId).SignalAsync(wf => wf.AddAsync("after"));
            var secondUpdate = await updatable.ExecuteUpdateAsync(wf => wf.AddAsync("after"));
            await updatable.SignalAsync(wf => wf.FinishAsync());

            Assert.Equal("hello short", await shortSleep.GetResultAsync());
            Assert.Equal("hello long", await longSleep.GetResultAsync());
            Assert.Equal("before,after", await signalled.GetResultAsync());
            Assert.Equal("child got after", await parent.GetResultAsync());
            Assert.Equal((1, 2, "before,after"), (firstUpdate, secondUpdate, await updatable.GetResultAsync()));
            Assert.Equal("attempt 2", await retried.GetResultAsync());
            Assert.Equal("chain ended after 3 runs", await cron.GetResultAsync());
        });
        Assert.Equal(["greet long", "greet short"], activities.Lines().Order());
        await ReplayEveryRunAsync(client, taskQueue);
    }

    [DevServerOnlyFact]
    public async Task Restart_UpdateAdmittedWhileNoWorkerRuns_IsDeliveredAfterRestart()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        var taskQueue = TestIds.New("tq");
        var activities = new TracedActivities(server.FileNamed("trace"));
        WorkflowHandle<UpdatableWorkflow, string> handle;
        using (var worker = new TemporalWorker(client, Work(taskQueue, activities)))
        {
            handle = await worker.ExecuteAsync(async () =>
            {
                var started = await client.StartWorkflowAsync((UpdatableWorkflow wf) => wf.RunAsync(), new(TestIds.New("update"), taskQueue));
                await RestartableServer.WaitForEventAsync(started, EventType.WorkflowTaskCompleted);
                return started;
            });
        }
        // Admitted only: nothing has reached a worker when the server stops.
        var updateId = TestIds.New("update");
        var admitted = await client.WorkflowService.UpdateWorkflowExecutionAsync(new UpdateWorkflowExecutionRequest
        {
            Namespace = "default",
            WorkflowExecution = new() { WorkflowId = handle.Id },
            Request = new Request
            {
                Meta = new Meta { UpdateId = updateId, Identity = "test" },
                Input = new Input { Name = "Add", Args = new() { Payloads_ = { DataConverter.Default.PayloadConverter.ToPayload("while down") } } },
            },
            WaitPolicy = new WaitPolicy { LifecycleStage = UpdateWorkflowExecutionLifecycleStage.Admitted },
        });
        Assert.Equal(UpdateWorkflowExecutionLifecycleStage.Admitted, admitted.Stage);

        await server.RestartAsync();

        using var restartedWorker = new TemporalWorker(client, Work(taskQueue, activities));
        var (count, result) = await restartedWorker.ExecuteAsync(async () =>
        {
            var count = await handle.GetUpdateHandle<int>(updateId).GetResultAsync();
            await handle.SignalAsync(wf => wf.FinishAsync());
            return (count, await handle.GetResultAsync());
        });
        Assert.Equal((1, "while down"), (count, result));
    }

    [DevServerOnlyFact]
    public async Task Restart_ActivityWaitingForItsRetry_GoesOnWithTheNextAttempt()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        var taskQueue = TestIds.New("tq");
        var activities = new TracedActivities(server.FileNamed("trace"));
        using var worker = new TemporalWorker(client, Work(taskQueue, activities));
        var result = await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync((RetriedActivityWorkflow wf) => wf.RunAsync("flaky", TimeSpan.FromSeconds(2)), new(TestIds.New("wf"), taskQueue));
            await WaitUntilAsync(async () => (await DescribeAsync(client, handle)).PendingActivities is [{ Attempt: 2 }]);
            await server.RestartAsync();
            return await handle.GetResultAsync();
        });
        Assert.Equal("flaky succeeded on attempt 2", result);
        // The attempt count was kept: a server that forgot it would have run attempt 1 again.
        Assert.Equal(["flaky attempt 1", "flaky attempt 2"], activities.Lines());
    }

    [DevServerOnlyFact]
    public async Task Restart_ActivityRunningInAWorker_ItsCompletionAfterRestartIsAcceptedOnce()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        var taskQueue = TestIds.New("tq");
        var activities = new TracedActivities(server.FileNamed("trace"));
        var release = server.FileNamed("release");
        using var worker = new TemporalWorker(client, Work(taskQueue, activities));
        var result = await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync((HeldActivityWorkflow wf) => wf.RunAsync("held", release), new(TestIds.New("wf"), taskQueue));
            await WaitUntilAsync(async () => (await DescribeAsync(client, handle)).PendingActivities is [{ State: PendingActivityState.Started }]);
            await server.RestartAsync();
            await File.WriteAllTextAsync(release, "go");
            return await handle.GetResultAsync();
        });
        Assert.Equal("held done", result);
        Assert.Equal(["held started", "held finished"], activities.Lines());
    }

    [DevServerOnlyFact]
    public async Task Restart_ClosedWorkflowsNamespacesAndSearchAttributes_AnswerAsBefore()
    {
        await using var server = await RestartableServer.StartAsync();
        var client = await server.ConnectAsync();
        await client.OperatorService.AddSearchAttributesAsync(new Temporalio.Api.OperatorService.V1.AddSearchAttributesRequest
        {
            Namespace = "default",
            SearchAttributes = { ["RestartColor"] = IndexedValueType.Keyword },
        });
        await client.WorkflowService.RegisterNamespaceAsync(new RegisterNamespaceRequest
        {
            Namespace = "kept",
            Description = "registered before the restart",
            WorkflowExecutionRetentionPeriod = Duration.FromTimeSpan(TimeSpan.FromDays(3)),
        });
        var taskQueue = TestIds.New("tq");
        var color = SearchAttributeKey.CreateKeyword("RestartColor");
        using var worker = new TemporalWorker(client, Work(taskQueue, new TracedActivities(server.FileNamed("trace"))));
        var handle = await worker.ExecuteAsync(async () =>
        {
            var handle = await client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new(TestIds.New("wf"), taskQueue)
            {
                TypedSearchAttributes = new SearchAttributeCollection.Builder().Set(color, "blue").ToSearchAttributeCollection(),
            });
            await handle.SignalAsync(wf => wf.AddAsync("done"));
            await handle.GetResultAsync();
            return handle;
        });
        var query = $"RestartColor = 'blue' AND TaskQueue = '{taskQueue}'";
        var before = await client.ListWorkflowsAsync(query).Select(e => (e.Id, e.RunId, e.Status, e.CloseTime)).ToListAsync();

        await server.RestartAsync();

        var after = await client.ListWorkflowsAsync(query).Select(e => (e.Id, e.RunId, e.Status, e.CloseTime)).ToListAsync();
        Assert.Equal((handle.Id, WorkflowExecutionStatus.Completed), (Assert.Single(before).Id, before[0].Status));
        Assert.Equal(before, after);
        Assert.Equal(1, (await client.CountWorkflowsAsync(query)).Count);
        Assert.Equal("done", await handle.GetResultAsync());
        var attributes = await client.OperatorService.ListSearchAttributesAsync(new() { Namespace = "default" });
        Assert.Equal(IndexedValueType.Keyword, attributes.CustomAttributes["RestartColor"]);
        var kept = await client.WorkflowService.DescribeNamespaceAsync(new() { Namespace = "kept" });
        Assert.Equal(("registered before the restart", TimeSpan.FromDays(3)),
            (kept.NamespaceInfo.Description, kept.Config.WorkflowExecutionRetentionTtl.ToTimeSpan()));
    }

    /// <summary>Every run on the task queue replays in the SDK's replayer: its history is one the workflow code produces.</summary>
    private static async Task ReplayEveryRunAsync(TemporalClient client, string taskQueue)
    {
        var options = new WorkflowReplayerOptions();
        foreach (var workflow in Workflows)
        {
            options.AddWorkflow(Temporalio.Workflows.WorkflowDefinition.Create(workflow));
        }
        var replayer = new WorkflowReplayer(options);
        var runs = await client.ListWorkflowsAsync($"TaskQueue = '{taskQueue}'").ToListAsync();
        Assert.NotEmpty(runs);
        foreach (var run in runs)
        {
            var history = await client.GetWorkflowHandle(run.Id, runId: run.RunId).FetchHistoryAsync();
            await replayer.ReplayWorkflowAsync(history);
        }
    }

    private static Task<DescribeWorkflowExecutionResponse> DescribeAsync(TemporalClient client, WorkflowHandle handle) =>
        client.WorkflowService.DescribeWorkflowExecutionAsync(new() { Namespace = "default", Execution = new() { WorkflowId = handle.Id } });

    /// <summary>Polls a condition nothing notifies about (a pending activity's attempt or state).</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        while (!await condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
