using System.Globalization;
using Estuary.DevServer.Ui.Tests.Workflows;
using Microsoft.Playwright;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Client;
using static Microsoft.Playwright.Assertions;

namespace Estuary.DevServer.Ui.Tests;

[Collection(UiGroup.Name)]
public sealed class WorkflowPageTests(UiFixture fixture)
{
    private static string RunUrl(WorkflowHandle handle, string tab = "history") =>
        $"/namespaces/default/workflows/{Uri.EscapeDataString(handle.Id)}/{handle.ResultRunId}/{tab}";

    /// <summary>
    /// The run's pending activity once <paramref name="condition"/> holds. Heartbeats and retried attempts write no
    /// event, so there is nothing to wait on but Describe itself.
    /// </summary>
    private async Task<PendingActivityInfo> PendingWhenAsync(WorkflowHandle handle, Func<PendingActivityInfo, bool> condition)
    {
        while (true)
        {
            var described = await fixture.Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
            {
                Namespace = "default",
                Execution = new() { WorkflowId = handle.Id },
            });
            if (described.PendingActivities.FirstOrDefault() is { } pending && condition(pending))
            {
                return pending;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task WorkflowPage_CompletedWorkflow_ShowsInputResultAndActivityEvents()
    {
        var handle = await fixture.Client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync("Ada"), new($"greet-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        await handle.GetResultAsync();
        var page = await fixture.NewPageAsync();

        await page.GotoAsync($"/namespaces/default/workflows/{handle.Id}");

        await Expect(page).ToHaveURLAsync(new Uri(fixture.UiUrl, RunUrl(handle)).ToString());
        await Expect(page.Locator("#workflow-header .status")).ToHaveTextAsync("Completed");
        await Expect(page.Locator("#workflow-type")).ToHaveTextAsync("GreetingWorkflow");
        await Expect(page.Locator("#input pre")).ToHaveTextAsync("\"Ada\"");
        await Expect(page.Locator("#result pre")).ToHaveTextAsync("\"Hello, Ada!\"");
        var completed = page.Locator("table.events tbody tr").Filter(new() { HasText = "ActivityTaskCompleted" });
        await Expect(completed).ToHaveCountAsync(1);
        await Expect(completed).ToContainTextAsync("\"Hello, Ada!\"");
        await Expect(page.Locator("table.events tbody tr").Filter(new() { HasText = "ActivityTaskScheduled" })).ToContainTextAsync("greet");

        await completed.Locator("a.expand").ClickAsync();

        var json = page.Locator("tr.event-json pre");
        await Expect(json).ToContainTextAsync("\"eventType\": \"ActivityTaskCompleted\"");
        await Expect(json).ToContainTextAsync("\"result\": [");
        await Expect(json).ToContainTextAsync("\"Hello, Ada!\"");
        await UiFixture.ScreenshotAsync(page, "workflow-completed");
    }

    [Fact]
    public async Task SignalDialog_SetValue_ChangesWhatTheQueryReturns()
    {
        var handle = await fixture.Client.StartWorkflowAsync((WaitingWorkflow wf) => wf.RunAsync("red"), new($"signal-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        Assert.Equal("red", await handle.QueryAsync(wf => wf.Value));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(RunUrl(handle));

        await page.GetByRole(AriaRole.Button, new() { Name = "Send a Signal" }).ClickAsync();
        var dialog = page.Locator("#signal-dialog");
        await dialog.Locator("input[name=signalName]").FillAsync("set-value");
        await dialog.Locator("textarea[name=input]").FillAsync("\"blue\"");
        await UiFixture.ScreenshotAsync(page, "workflow-signal-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();

        await Expect(page.Locator(".notice")).ToHaveTextAsync("Signal 'set-value' sent.");
        await Expect(page.Locator("table.events tbody tr").Filter(new() { HasText = "WorkflowExecutionSignaled" })).ToContainTextAsync("\"blue\"");
        Assert.Equal("blue", await handle.QueryAsync(wf => wf.Value));

        await page.GetByRole(AriaRole.Link, new() { Name = "Queries" }).ClickAsync();
        await page.Locator("input[name=queryType]").FillAsync("value");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run Query" }).ClickAsync();

        await Expect(page.Locator("#query-result pre")).ToHaveTextAsync("\"blue\"");
        await UiFixture.ScreenshotAsync(page, "workflow-query-result");
        await handle.TerminateAsync("test over");
    }

    [Fact]
    public async Task SignalDialog_InvalidJson_SaysWhatIsWrongAndSendsNothing()
    {
        var handle = await fixture.Client.StartWorkflowAsync((WaitingWorkflow wf) => wf.RunAsync("red"), new($"badjson-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(RunUrl(handle));

        await page.GetByRole(AriaRole.Button, new() { Name = "Send a Signal" }).ClickAsync();
        await page.Locator("#signal-dialog input[name=signalName]").FillAsync("set-value");
        await page.Locator("#signal-dialog textarea[name=input]").FillAsync("{oops");
        var response = await page.RunAndWaitForResponseAsync(
            () => page.Locator("#signal-dialog").GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync(),
            r => r.Url.EndsWith("/signal", StringComparison.Ordinal));

        Assert.Equal(400, response.Status);
        await Expect(page.Locator(".error")).ToContainTextAsync("Input is not valid JSON");
        await Expect(page.Locator(".error")).ToContainTextAsync("line 1, position 2");
        await Expect(page.Locator("textarea[name=input]")).ToHaveValueAsync("{oops");
        await UiFixture.ScreenshotAsync(page, "workflow-signal-invalid-json");
        var history = await handle.FetchHistoryAsync();
        Assert.DoesNotContain(history.Events, e => e.EventType == EventType.WorkflowExecutionSignaled);
        Assert.Equal("red", await handle.QueryAsync(wf => wf.Value));
        await handle.TerminateAsync("test over");
    }

    [Fact]
    public async Task TerminateDialog_Confirmed_WorkflowIsTerminated()
    {
        var handle = await fixture.Client.StartWorkflowAsync((WaitingWorkflow wf) => wf.RunAsync("x"), new($"terminate-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(RunUrl(handle));

        await page.GetByRole(AriaRole.Button, new() { Name = "Terminate" }).ClickAsync();
        var dialog = page.Locator("#terminate-dialog");
        await dialog.Locator("input[name=reason]").FillAsync("stuck in a test");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Terminate" }).ClickAsync();

        await Expect(page.Locator("#workflow-header .status")).ToHaveTextAsync("Terminated");
        await Expect(page.Locator("#result")).ToContainTextAsync("stuck in a test");
        var described = await handle.DescribeAsync();
        Assert.Equal(WorkflowExecutionStatus.Terminated, described.Status);
        await UiFixture.ScreenshotAsync(page, "workflow-terminated");
    }

    [Fact]
    public async Task CancelDialog_Confirmed_WorkflowIsCanceled()
    {
        var handle = await fixture.Client.StartWorkflowAsync((WaitingWorkflow wf) => wf.RunAsync("x"), new($"cancel-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(RunUrl(handle));

        await page.GetByRole(AriaRole.Button, new() { Name = "Request Cancellation" }).ClickAsync();
        await page.Locator("#cancel-dialog").GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();

        await Expect(page.Locator("#workflow-header .status")).ToHaveTextAsync("Canceled");
        Assert.Equal(WorkflowExecutionStatus.Canceled, (await handle.DescribeAsync()).Status);
    }

    [Fact]
    public async Task WorkflowPage_RunningWorkflowCompletes_PageUpdatesWithoutReload()
    {
        var handle = await fixture.Client.StartWorkflowAsync((WaitingWorkflow wf) => wf.RunAsync("live"), new($"live-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(RunUrl(handle));
        await Expect(page.Locator("#workflow-header .status")).ToHaveTextAsync("Running");
        await Expect(page.Locator("#result")).ToContainTextAsync("still running");
        await UiFixture.ScreenshotAsync(page, "workflow-running");
        var navigations = 0;
        page.FrameNavigated += (_, frame) => navigations += frame == page.MainFrame ? 1 : 0;

        await handle.SignalAsync(wf => wf.FinishAsync());

        await Expect(page.Locator("#workflow-header .status")).ToHaveTextAsync("Completed");
        await Expect(page.Locator("#result pre")).ToHaveTextAsync("\"live\"");
        await Expect(page.Locator("table.events tbody tr").Last).ToContainTextAsync("WorkflowExecutionCompleted");
        Assert.Equal(0, navigations);
        await UiFixture.ScreenshotAsync(page, "workflow-completed-live");
    }

    [Fact]
    public async Task CallStackTab_RunningWorkflow_ShowsTheWorkflowsStack()
    {
        var handle = await fixture.Client.StartWorkflowAsync((WaitingWorkflow wf) => wf.RunAsync("stack"), new($"stack-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(RunUrl(handle, "call-stack"));

        await Expect(page.Locator("#call-stack")).ToContainTextAsync("WaitingWorkflow");
        await UiFixture.ScreenshotAsync(page, "workflow-call-stack");
        await handle.TerminateAsync("test over");
    }

    [Fact]
    public async Task StartWorkflowLikeThisOne_Submitted_StartsANewRunWithTheSameInput()
    {
        var original = await fixture.Client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync("Grace"), new($"again-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        await original.GetResultAsync();
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(RunUrl(original));

        await page.Locator("#start-like-this").ClickAsync();
        await Expect(page.Locator("input[name=workflowType]")).ToHaveValueAsync("GreetingWorkflow");
        await Expect(page.Locator("input[name=taskQueue]")).ToHaveValueAsync(UiFixture.TaskQueue);
        await Expect(page.Locator("textarea[name=input]")).ToHaveValueAsync("\"Grace\"");
        var newId = $"{original.Id}-again";
        await page.Locator("input[name=workflowId]").FillAsync(newId);
        await UiFixture.ScreenshotAsync(page, "start-workflow");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start Workflow" }).ClickAsync();

        await Expect(page.Locator("#workflow-id")).ToHaveTextAsync(newId);
        Assert.Equal("Hello, Grace!", await fixture.Client.GetWorkflowHandle(newId).GetResultAsync<string>());
    }

    [Fact]
    public async Task StartWorkflow_InvalidJsonInput_StartsNothing()
    {
        var id = $"never-{Guid.NewGuid():N}";
        var page = await fixture.NewPageAsync();
        await page.GotoAsync($"/namespaces/default/workflows/start-workflow?workflowType=GreetingWorkflow&taskQueue={UiFixture.TaskQueue}");

        await page.Locator("input[name=workflowId]").FillAsync(id);
        await page.Locator("textarea[name=input]").FillAsync("Ada");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start Workflow" }).ClickAsync();

        await Expect(page.Locator("#start-error")).ToContainTextAsync("Input is not valid JSON");
        await UiFixture.ScreenshotAsync(page, "start-workflow-invalid-json");
        await Assert.ThrowsAsync<Temporalio.Exceptions.RpcException>(() => fixture.Client.GetWorkflowHandle(id).DescribeAsync());
    }

    [Fact]
    public async Task WorkflowPage_UnknownWorkflow_IsANotFoundPage()
    {
        var page = await fixture.NewPageAsync();

        var response = await page.GotoAsync("/namespaces/default/workflows/no-such-workflow");

        Assert.Equal(404, response!.Status);
        await Expect(page.Locator("#message-heading")).ToHaveTextAsync("Workflow not found");
        await Expect(page.Locator("#message-text")).ToContainTextAsync("no-such-workflow");
        await UiFixture.ScreenshotAsync(page, "workflow-not-found");
    }

    [Fact]
    public async Task WorkflowPage_FailedWorkflow_ShowsTheFailure()
    {
        var handle = await fixture.Client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync(""), new($"failing-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        await Assert.ThrowsAsync<Temporalio.Exceptions.WorkflowFailedException>(() => handle.GetResultAsync());
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(RunUrl(handle));

        await Expect(page.Locator("#workflow-header .status")).ToHaveTextAsync("Failed");
        await Expect(page.Locator("#result .failure-message").First).ToHaveTextAsync("Activity task failed");
        await Expect(page.Locator("#result .cause .failure-message")).ToHaveTextAsync("Nobody to greet");
        await Expect(page.Locator("#result .cause")).ToContainTextAsync("EmptyName");
        await UiFixture.ScreenshotAsync(page, "workflow-failed");
    }

    [Fact]
    public async Task WorkflowPage_ActivityWaitingToRetry_ShowsAttemptLastFailureAndHeartbeat()
    {
        var handle = await fixture.Client.StartWorkflowAsync((RetryingWorkflow wf) => wf.RunAsync("flaky"), new($"retrying-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(RunUrl(handle));

        // The first attempt fails at once; the live page shows the activity waiting for its second.
        var activity = page.Locator("#pending-activities tbody tr");
        await Expect(activity).ToContainTextAsync("2 of 5");
        await Expect(activity).ToContainTextAsync("flaky");
        await Expect(activity).ToContainTextAsync("The warehouse is closed");
        await Expect(activity).ToContainTextAsync("\"halfway\"");
        // Next Retry: when the server says the second attempt is due, ten minutes after the first failed.
        var pending = (await fixture.Client.WorkflowService.DescribeWorkflowExecutionAsync(new()
        {
            Namespace = "default",
            Execution = new() { WorkflowId = handle.Id },
        })).PendingActivities.Single();
        var nextRetry = pending.NextAttemptScheduleTime.ToDateTime();
        Assert.Equal(pending.LastAttemptCompleteTime.ToDateTime() + TimeSpan.FromMinutes(10), nextRetry);
        await Expect(activity.Locator("td").Last).ToHaveTextAsync(nextRetry.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        await UiFixture.ScreenshotAsync(page, "workflow-pending-activity");
        await handle.TerminateAsync("test over");
    }

    [Fact]
    public async Task WorkflowPage_AttemptFailsWhileShown_ShowsTheRetryThoughNoEventIsWritten()
    {
        var handle = await fixture.Client.StartWorkflowAsync((RetryingWorkflow wf) => wf.RunAsync("flaky-when-released"), new($"retry-live-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        await PendingWhenAsync(handle, a => a.HeartbeatDetails is not null);
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(RunUrl(handle));
        var activity = page.Locator("#pending-activities tbody tr");
        await Expect(activity).ToContainTextAsync("Started");
        await Expect(activity).ToContainTextAsync("1 of 5");
        await Expect(activity).ToContainTextAsync("\"halfway\"");

        // The attempt fails and waits ten minutes for its retry: Temporal writes no history event for that.
        fixture.GatedActivities.Release(handle.Id);

        await Expect(activity).ToContainTextAsync("2 of 5");
        await Expect(activity).ToContainTextAsync("The warehouse is closed");
        await Expect(activity).ToContainTextAsync("\"halfway\"");
        await handle.TerminateAsync("test over");
    }

    [Fact]
    public async Task WorkflowPage_ContinuedAsNew_LinksTheRunsOfTheChain()
    {
        var handle = await fixture.Client.StartWorkflowAsync((ChainWorkflow wf) => wf.RunAsync(1), new($"chain-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        await handle.GetResultAsync<string>();
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(RunUrl(handle));

        await Expect(page.Locator("#workflow-header .status")).ToHaveTextAsync("Continued as New");
        await page.Locator("#next-run").ClickAsync();

        await Expect(page.Locator("#workflow-header .status")).ToHaveTextAsync("Completed");
        await Expect(page.Locator("#result pre")).ToHaveTextAsync("\"end of chain\"");
        await Expect(page.Locator("#previous-run")).ToHaveTextAsync(handle.ResultRunId!);
        await UiFixture.ScreenshotAsync(page, "workflow-chain");
    }

    [Fact]
    public async Task WorkflowPage_ParentAndChild_LinkToEachOther()
    {
        var handle = await fixture.Client.StartWorkflowAsync((ParentWorkflow wf) => wf.RunAsync("Linus"), new($"parent-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        Assert.Equal("Hello, Linus!", await handle.GetResultAsync<string>());
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(RunUrl(handle));

        var child = page.Locator("table.children tbody tr");
        await Expect(child).ToContainTextAsync("Completed");
        await child.GetByRole(AriaRole.Link).ClickAsync();

        await Expect(page.Locator("#workflow-id")).ToHaveTextAsync($"{handle.Id}-child");
        await Expect(page.Locator("#parent-link")).ToHaveTextAsync(handle.Id);
        await UiFixture.ScreenshotAsync(page, "workflow-child");
    }
}
