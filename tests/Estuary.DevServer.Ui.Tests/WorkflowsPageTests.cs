using Estuary.DevServer.Ui.Tests.Workflows;
using Microsoft.Playwright;
using Temporalio.Client;
using static Microsoft.Playwright.Assertions;

namespace Estuary.DevServer.Ui.Tests;

[Collection(UiGroup.Name)]
public sealed class WorkflowsPageTests(UiFixture fixture)
{
    [Fact]
    public async Task WorkflowsPage_WorkflowsStartedThroughSdk_AreListedNewestFirst()
    {
        var prefix = $"listed-{Guid.NewGuid():N}";
        var first = await fixture.Client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync("first"), new($"{prefix}-1", UiFixture.TaskQueue));
        await first.GetResultAsync();
        var second = await fixture.Client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync("second"), new($"{prefix}-2", UiFixture.TaskQueue));
        await second.GetResultAsync();
        var page = await fixture.NewPageAsync();

        await page.GotoAsync("/");

        await Expect(page).ToHaveURLAsync(new Uri(fixture.UiUrl, "/namespaces/default/workflows").ToString());
        var rows = page.Locator("table.workflows tbody tr").Filter(new() { HasText = prefix });
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToContainTextAsync($"{prefix}-2");
        await Expect(rows.Nth(1)).ToContainTextAsync($"{prefix}-1");
        await Expect(rows.Nth(0)).ToContainTextAsync("Completed");
        await Expect(rows.Nth(0)).ToContainTextAsync("GreetingWorkflow");
        await Expect(rows.Nth(0)).ToContainTextAsync(UiFixture.TaskQueue);
        await Expect(rows.Nth(0)).ToContainTextAsync(second.ResultRunId!);
        await UiFixture.ScreenshotAsync(page, "workflows-list");
    }

    [Fact]
    public async Task WorkflowsPage_FilterByTypeThenStatus_ListsOnlyMatchingWorkflows()
    {
        var prefix = $"filtered-{Guid.NewGuid():N}";
        var done = await fixture.Client.StartWorkflowAsync((WaitingWorkflow wf) => wf.RunAsync("a"), new($"{prefix}-done", UiFixture.TaskQueue));
        await done.SignalAsync(wf => wf.FinishAsync());
        await done.GetResultAsync();
        var running = await fixture.Client.StartWorkflowAsync((WaitingWorkflow wf) => wf.RunAsync("b"), new($"{prefix}-running", UiFixture.TaskQueue));
        var greeting = await fixture.Client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync("c"), new($"{prefix}-greeting", UiFixture.TaskQueue));
        await greeting.GetResultAsync();
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/namespaces/default/workflows");

        await page.Locator("#query").FillAsync($"WorkflowType = 'WaitingWorkflow' AND WorkflowId STARTS_WITH '{prefix}'");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        var rows = page.Locator("table.workflows tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Filter(new() { HasText = "GreetingWorkflow" })).ToHaveCountAsync(0);
        await Expect(page.Locator(".chip[data-status=Running] .chip-count")).ToHaveTextAsync("1");
        await Expect(page.Locator(".chip[data-status=Completed] .chip-count")).ToHaveTextAsync("1");

        await page.Locator(".chip[data-status=Running]").ClickAsync();

        await Expect(page.Locator("#query")).ToHaveValueAsync($"WorkflowType = 'WaitingWorkflow' AND WorkflowId STARTS_WITH '{prefix}' AND ExecutionStatus = 'Running'");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync($"{prefix}-running");
        await Expect(page.Locator("#workflow-count")).ToHaveTextAsync("1");
        await UiFixture.ScreenshotAsync(page, "workflows-filtered-running");
        await running.TerminateAsync("test over");
    }

    [Fact]
    public async Task WorkflowsPage_InvalidFilter_ShowsTheParserMessageNextToTheBox()
    {
        var page = await fixture.NewPageAsync();

        var response = await page.GotoAsync("/namespaces/default/workflows?query=" + Uri.EscapeDataString("WorkflowType = "));

        Assert.Equal(400, response!.Status);
        await Expect(page.Locator("#filter-error")).ToContainTextAsync("invalid query");
        await Expect(page.Locator("#query")).ToHaveValueAsync("WorkflowType =");
        await Expect(page.Locator("table.workflows")).ToHaveCountAsync(0);
        await UiFixture.ScreenshotAsync(page, "workflows-invalid-filter");
    }

    [Fact]
    public async Task WorkflowsPage_NextPage_ContinuesWhereTheFirstPageEnded()
    {
        var prefix = $"paged-{Guid.NewGuid():N}";
        for (var i = 0; i < 5; i++)
        {
            await (await fixture.Client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync($"p{i}"), new($"{prefix}-{i}", UiFixture.TaskQueue))).GetResultAsync();
        }
        var page = await fixture.NewPageAsync();
        var query = Uri.EscapeDataString($"WorkflowId STARTS_WITH '{prefix}'");

        await page.GotoAsync($"/namespaces/default/workflows?pageSize=2&query={query}");
        var seen = new List<string>();
        while (true)
        {
            seen.AddRange(await page.Locator("table.workflows tbody tr td:nth-child(2)").AllInnerTextsAsync());
            var next = page.Locator("a[rel=next]");
            if (await next.CountAsync() == 0)
            {
                break;
            }
            await next.ClickAsync();
        }

        Assert.Equal(Enumerable.Range(0, 5).Reverse().Select(i => $"{prefix}-{i}"), seen);
    }

    [Fact]
    public async Task NamespaceSwitcher_OtherNamespace_ListsThatNamespace()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/namespaces/default/workflows");

        await page.Locator("select[data-navigate]").SelectOptionAsync(new SelectOptionValue { Label = "ui-other" });

        await Expect(page).ToHaveURLAsync(new Uri(fixture.UiUrl, "/namespaces/ui-other/workflows").ToString());
        await Expect(page.Locator(".empty")).ToContainTextAsync("No workflows in this namespace yet");
    }
}
