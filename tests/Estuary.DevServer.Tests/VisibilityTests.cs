using System.Globalization;
using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Filter.V1;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>
/// Listing and counting workflows with Temporal's list filter, through the SDK client. Every test works on its own
/// task queue and puts <c>TaskQueue = '…'</c> in its queries, so the runs of other tests never show up.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class VisibilityTests(ServerFixture fixture)
{
    private TemporalClient Client => fixture.Client;

    /// <summary>Registers the custom attributes of <see cref="VisibilityKeys"/> unless they already are.</summary>
    private async Task RegisterAttributesAsync()
    {
        var wanted = new Dictionary<string, IndexedValueType>(StringComparer.Ordinal)
        {
            [VisibilityKeys.Color.Name] = IndexedValueType.Keyword,
            [VisibilityKeys.Size.Name] = IndexedValueType.Int,
            [VisibilityKeys.Due.Name] = IndexedValueType.Datetime,
            [VisibilityKeys.Tags.Name] = IndexedValueType.KeywordList,
        };
        var existing = await Client.Connection.OperatorService.ListSearchAttributesAsync(new() { Namespace = "default" });
        var request = new AddSearchAttributesRequest { Namespace = "default" };
        foreach (var (name, type) in wanted.Where(w => !existing.CustomAttributes.ContainsKey(w.Key)))
        {
            request.SearchAttributes[name] = type;
        }
        if (request.SearchAttributes.Count > 0)
        {
            await Client.Connection.OperatorService.AddSearchAttributesAsync(request);
        }
    }

    private async Task<List<WorkflowExecution>> ListAsync(string query)
    {
        var executions = new List<WorkflowExecution>();
        await foreach (var execution in Client.ListWorkflowsAsync(query))
        {
            executions.Add(execution);
        }
        return executions;
    }

    private async Task<List<string>> IdsAsync(string query) => (await ListAsync(query)).Select(e => e.Id).ToList();

    /// <summary>Starts a run that stays open (nobody polls its task queue) unless the test runs a worker for it.</summary>
    private Task<WorkflowHandle<WaitForSignalWorkflow, string>> StartOpenAsync(string workflowId, string taskQueue, SearchAttributeCollection? attributes = null) =>
        Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1),
            new WorkflowOptions(workflowId, taskQueue) { TypedSearchAttributes = attributes });

    private static SearchAttributeCollection Attributes(string color, long size, DateTimeOffset? due = null, params string[] tags)
    {
        var builder = new SearchAttributeCollection.Builder().Set(VisibilityKeys.Color, color).Set(VisibilityKeys.Size, size);
        if (due is { } dueTime)
        {
            builder.Set(VisibilityKeys.Due, dueTime);
        }
        if (tags.Length > 0)
        {
            builder.Set(VisibilityKeys.Tags, tags);
        }
        return builder.ToSearchAttributeCollection();
    }

    private static string Rfc3339(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    /// <summary>Upserts reach visibility as the worker completes its task (on a real Temporal a little later still, and
    /// nothing announces it): count until a query sees them.</summary>
    private Task<long> CountEventuallyAsync(string query, long expected) =>
        Eventually.PollAsync(async () => (await Client.CountWorkflowsAsync(query)).Count, count => count == expected, $"{expected} run(s) matching {query}");

    [Fact]
    public async Task ListWorkflows_ByWorkflowId_ReportsTheRunLikeDescribe()
    {
        var taskQueue = TestIds.New("tq");
        var workflowId = TestIds.New("wf");
        var handle = await Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1),
            new WorkflowOptions(workflowId, taskQueue) { Memo = new Dictionary<string, object> { ["note"] = "listed" } });

        var listed = Assert.Single(await ListAsync($"WorkflowId = '{workflowId}'"));

        var described = await handle.DescribeAsync();
        Assert.Equal(workflowId, listed.Id);
        Assert.Equal(handle.ResultRunId, listed.RunId);
        Assert.Equal("WaitForSignalWorkflow", listed.WorkflowType);
        Assert.Equal(taskQueue, listed.TaskQueue);
        Assert.Equal(WorkflowExecutionStatus.Running, listed.Status);
        Assert.Equal(described.StartTime, listed.StartTime);
        Assert.Null(listed.CloseTime);
        Assert.Equal(described.HistoryLength, listed.HistoryLength);
        Assert.Null(listed.ParentId);
        Assert.Equal("listed", await listed.Memo["note"].ToValueAsync<string>());
    }

    [Fact]
    public async Task ListWorkflows_ByStatusTypeAndTaskQueue_ReturnsOnlyMatchingRuns()
    {
        await RegisterAttributesAsync();
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<TaggingWorkflow>().AddWorkflow<FailingWorkflow>().AddWorkflow<WaitForSignalWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var plan = new TagPlan("c", 1, DateTimeOffset.UtcNow, ["t"]);
            var completed = await Client.StartWorkflowAsync((TaggingWorkflow wf) => wf.RunAsync(plan), new(TestIds.New("completed"), taskQueue));
            await completed.GetResultAsync();
            var failed = await Client.StartWorkflowAsync((FailingWorkflow wf) => wf.RunAsync("no"), new(TestIds.New("failed"), taskQueue));
            await Assert.ThrowsAsync<WorkflowFailedException>(() => failed.GetResultAsync());
            var terminated = await StartOpenAsync(TestIds.New("terminated"), taskQueue);
            await terminated.TerminateAsync("enough");
            var running = await StartOpenAsync(TestIds.New("running"), taskQueue);

            var inQueue = $"TaskQueue = '{taskQueue}'";
            Assert.Equal([completed.Id], await IdsAsync($"{inQueue} AND ExecutionStatus = 'Completed'"));
            Assert.Equal([failed.Id], await IdsAsync($"{inQueue} AND ExecutionStatus = 'Failed'"));
            Assert.Equal([terminated.Id], await IdsAsync($"{inQueue} AND ExecutionStatus = 'Terminated'"));
            Assert.Equal([running.Id], await IdsAsync($"{inQueue} AND ExecutionStatus = 'Running'"));
            Assert.Equal([running.Id, terminated.Id], await IdsAsync($"{inQueue} AND WorkflowType = 'WaitForSignalWorkflow'"));
            Assert.Equal([failed.Id, completed.Id], await IdsAsync($"{inQueue} AND ExecutionStatus IN ('Completed', 'Failed')"));
            Assert.Equal([completed.Id], await IdsAsync($"WorkflowId = '{completed.Id}' AND RunId = '{completed.ResultRunId}'"));
            Assert.Empty(await IdsAsync($"TaskQueue = '{taskQueue}-other'"));
        });
    }

    [Fact]
    public async Task ListWorkflows_AndOrParenthesesOverCustomAttributes_CombineLikeSql()
    {
        await RegisterAttributesAsync();
        var taskQueue = TestIds.New("tq");
        var red1 = await StartOpenAsync(TestIds.New("red1"), taskQueue, Attributes("red", 1));
        var blue2 = await StartOpenAsync(TestIds.New("blue2"), taskQueue, Attributes("blue", 2));
        var blue3 = await StartOpenAsync(TestIds.New("blue3"), taskQueue, Attributes("blue", 3));
        var plain = await StartOpenAsync(TestIds.New("plain"), taskQueue);
        var inQueue = $"TaskQueue = '{taskQueue}'";

        Assert.Equal([blue3.Id, red1.Id], await IdsAsync($"{inQueue} AND (EstuaryColor = 'red' OR EstuarySize >= 3)"));
        Assert.Equal([blue3.Id], await IdsAsync($"{inQueue} AND EstuaryColor = 'blue' AND NOT EstuarySize = 2"));
        Assert.Equal([blue2.Id, red1.Id], await IdsAsync($"{inQueue} AND (EstuaryColor = 'red' OR EstuaryColor = \"blue\") AND EstuarySize < 3"));
        Assert.Equal([blue3.Id, red1.Id], await IdsAsync($"{inQueue} AND EstuaryColor = 'red' OR {inQueue} AND EstuarySize = 3"));
        Assert.Equal([blue3.Id, blue2.Id], await IdsAsync($"{inQueue} AND EstuarySize BETWEEN 2 AND 3"));
        Assert.Equal([blue3.Id, red1.Id], await IdsAsync($"{inQueue} AND EstuarySize NOT IN (2)"));
        Assert.Equal([blue3.Id, blue2.Id, red1.Id], await IdsAsync($"{inQueue} AND EstuaryColor != 'green'"));
        Assert.Equal([plain.Id], await IdsAsync($"{inQueue} AND EstuaryColor IS NULL"));
        Assert.Equal([blue3.Id, blue2.Id], await IdsAsync($"{inQueue} AND WorkflowId STARTS_WITH 'blue'"));
    }

    [Fact]
    public async Task ListWorkflows_DatetimeAndKeywordListAttributes_FilterByRangeAndContains()
    {
        await RegisterAttributesAsync();
        var taskQueue = TestIds.New("tq");
        var monday = new DateTimeOffset(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);
        var early = await StartOpenAsync(TestIds.New("early"), taskQueue, Attributes("x", 1, monday, "billing", "eu"));
        var late = await StartOpenAsync(TestIds.New("late"), taskQueue, Attributes("x", 1, monday.AddDays(2), "billing"));
        var inQueue = $"TaskQueue = '{taskQueue}'";

        Assert.Equal([late.Id], await IdsAsync($"{inQueue} AND EstuaryDue > '2025-03-04T00:00:00Z'"));
        Assert.Equal([early.Id], await IdsAsync($"{inQueue} AND EstuaryDue = '2025-03-03T10:00:00+01:00'"));
        Assert.Equal([late.Id, early.Id], await IdsAsync($"{inQueue} AND EstuaryDue BETWEEN '2025-03-03T09:00:00Z' AND '2025-03-05T09:00:00Z'"));
        Assert.Equal([late.Id, early.Id], await IdsAsync($"{inQueue} AND EstuaryTags = 'billing'"));
        Assert.Equal([early.Id], await IdsAsync($"{inQueue} AND EstuaryTags = 'eu'"));
        Assert.Equal([late.Id], await IdsAsync($"{inQueue} AND EstuaryTags != 'eu'"));
        Assert.Equal([early.Id], await IdsAsync($"{inQueue} AND EstuaryTags IN ('us', 'eu')"));
    }

    [Fact]
    public async Task ListWorkflows_AttributesUpsertedByWorkflow_ReplaceThoseSetAtStart()
    {
        await RegisterAttributesAsync();
        var taskQueue = TestIds.New("tq");
        var due = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<TaggingWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var upsert = new TagPlan("upserted", 42, due, ["a", "b"]);
            var done = await Client.StartWorkflowAsync((TaggingWorkflow wf) => wf.RunAsync(upsert),
                new(TestIds.New("done"), taskQueue) { TypedSearchAttributes = Attributes("initial", 1) });
            await done.GetResultAsync();
            var upsertAndWait = new TagPlan("waiting", 7, due, ["c"], WaitForFinish: true);
            var waiting = await Client.StartWorkflowAsync((TaggingWorkflow wf) => wf.RunAsync(upsertAndWait), new(TestIds.New("waiting"), taskQueue));
            var inQueue = $"TaskQueue = '{taskQueue}'";

            Assert.Equal(1, await CountEventuallyAsync($"{inQueue} AND EstuaryColor = 'waiting' AND ExecutionStatus = 'Running'", 1));
            Assert.Empty(await IdsAsync($"{inQueue} AND EstuaryColor = 'initial'"));
            var listed = Assert.Single(await ListAsync($"{inQueue} AND EstuaryColor = 'upserted' AND EstuarySize = 42 AND EstuaryDue = '2030-01-01T00:00:00Z' AND EstuaryTags = 'b'"));
            Assert.Equal(done.Id, listed.Id);
            Assert.Equal("upserted", listed.TypedSearchAttributes.Get(VisibilityKeys.Color));
            Assert.Equal(42, listed.TypedSearchAttributes.Get(VisibilityKeys.Size));
            Assert.Equal(["a", "b"], listed.TypedSearchAttributes.Get(VisibilityKeys.Tags));
            Assert.Equal([waiting.Id, done.Id], await IdsAsync($"{inQueue} AND EstuarySize >= 7"));
            await waiting.SignalAsync(wf => wf.FinishAsync());
            await waiting.GetResultAsync();
        });
    }

    [Fact]
    public async Task ListWorkflows_StartTimeAndCloseTimeRanges_SelectRunsByTime()
    {
        var taskQueue = TestIds.New("tq");
        var first = await StartOpenAsync(TestIds.New("first"), taskQueue);
        var second = await StartOpenAsync(TestIds.New("second"), taskQueue);
        var third = await StartOpenAsync(TestIds.New("third"), taskQueue);
        await first.TerminateAsync("closing first");
        await third.TerminateAsync("closing third");
        var inQueue = $"TaskQueue = '{taskQueue}'";
        var runs = (await ListAsync(inQueue)).ToDictionary(e => e.Id);
        var (start1, start2) = (runs[first.Id].StartTime, runs[second.Id].StartTime);
        var (close1, close3) = (runs[first.Id].CloseTime!.Value, runs[third.Id].CloseTime!.Value);

        Assert.Equal([second.Id, third.Id], await IdsAsync($"{inQueue} AND StartTime > '{Rfc3339(start1)}' ORDER BY StartTime"));
        Assert.Equal([first.Id, second.Id], await IdsAsync($"{inQueue} AND StartTime BETWEEN '{Rfc3339(start1)}' AND '{Rfc3339(start2)}' ORDER BY StartTime"));
        Assert.Equal([first.Id], await IdsAsync($"{inQueue} AND StartTime <= '{Rfc3339(start1)}'"));
        Assert.Equal([third.Id], await IdsAsync($"{inQueue} AND CloseTime >= '{Rfc3339(close3)}'"));
        Assert.Equal([first.Id], await IdsAsync($"{inQueue} AND CloseTime < '{Rfc3339(close3)}'"));
        Assert.Equal([third.Id, first.Id], await IdsAsync($"{inQueue} AND CloseTime BETWEEN '{Rfc3339(close1)}' AND '{Rfc3339(close3)}'"));
        Assert.Equal([second.Id], await IdsAsync($"{inQueue} AND CloseTime IS NULL"));
        Assert.Equal([third.Id, first.Id], await IdsAsync($"{inQueue} AND CloseTime IS NOT NULL"));
        // Only closed runs have a duration; both of these ran for less than a minute.
        Assert.Equal([third.Id, first.Id], await IdsAsync($"{inQueue} AND ExecutionDuration BETWEEN '0s' AND '1m'"));
    }

    [Fact]
    public async Task ListWorkflows_Ordering_DefaultIsOpenFirstThenNewestCloseAndOrderByOverridesIt()
    {
        await RegisterAttributesAsync();
        var taskQueue = TestIds.New("tq");
        var first = await StartOpenAsync(TestIds.New("first"), taskQueue, Attributes("x", 20));
        var second = await StartOpenAsync(TestIds.New("second"), taskQueue, Attributes("x", 30));
        var third = await StartOpenAsync(TestIds.New("third"), taskQueue, Attributes("x", 10));
        var fourth = await StartOpenAsync(TestIds.New("fourth"), taskQueue);
        await third.TerminateAsync("closed before first");
        await first.TerminateAsync("closed last");
        var inQueue = $"TaskQueue = '{taskQueue}'";

        // Temporal's default: open runs (newest start first), then closed runs by close time, newest first.
        Assert.Equal([fourth.Id, second.Id, first.Id, third.Id], await IdsAsync(inQueue));
        Assert.Equal([first.Id, second.Id, third.Id, fourth.Id], await IdsAsync($"{inQueue} ORDER BY StartTime"));
        Assert.Equal([fourth.Id, third.Id, second.Id, first.Id], await IdsAsync($"{inQueue} order by StartTime desc"));
        Assert.Equal([third.Id, first.Id, fourth.Id, second.Id], await IdsAsync($"{inQueue} ORDER BY CloseTime ASC"));
        Assert.Equal([second.Id, first.Id, third.Id, fourth.Id], await IdsAsync($"{inQueue} ORDER BY EstuarySize DESC"));
    }

    [Fact]
    public async Task ListWorkflowsPaginated_ManyRuns_PagesThroughAllOnceInOrder()
    {
        var taskQueue = TestIds.New("tq");
        var started = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            started.Add((await StartOpenAsync($"{taskQueue}-{i:D2}", taskQueue)).Id);
        }
        var query = $"TaskQueue = '{taskQueue}' ORDER BY StartTime";
        var options = new WorkflowListPaginatedOptions { PageSize = 10 };

        var page1 = await Client.ListWorkflowsPaginatedAsync(query, null, options);
        var page2 = await Client.ListWorkflowsPaginatedAsync(query, page1.NextPageToken, options);
        var page3 = await Client.ListWorkflowsPaginatedAsync(query, page2.NextPageToken, options);

        Assert.Equal([10, 10, 5], new[] { page1, page2, page3 }.Select(p => p.Workflows.Count));
        Assert.NotNull(page1.NextPageToken);
        Assert.True(page3.NextPageToken is null or { Length: 0 });
        Assert.Equal(started, page1.Workflows.Concat(page2.Workflows).Concat(page3.Workflows).Select(w => w.Id));
        Assert.Equal(started, await IdsAsync(query));
        var limited = new List<string>();
        await foreach (var execution in Client.ListWorkflowsAsync(query, new WorkflowListOptions { Limit = 7 }))
        {
            limited.Add(execution.Id);
        }
        Assert.Equal(started.Take(7), limited);
    }

    [Fact]
    public async Task ListWorkflowsPaginated_RunsCloseBetweenPages_NextPageContinuesAfterLastListedPosition()
    {
        var taskQueue = TestIds.New("tq");
        var handles = new List<WorkflowHandle<WaitForSignalWorkflow, string>>();
        for (var i = 0; i < 6; i++)
        {
            handles.Add(await StartOpenAsync($"{taskQueue}-{i}", taskQueue));
        }
        var query = $"TaskQueue = '{taskQueue}'";
        var options = new WorkflowListPaginatedOptions { PageSize = 3 };

        var page1 = await Client.ListWorkflowsPaginatedAsync(query, null, options);
        // Closing runs listed on the first page (the last one among them) moves them behind the open ones.
        await handles[3].TerminateAsync("moves to the end");
        await handles[5].TerminateAsync("moves to the end");
        var page2 = await Client.ListWorkflowsPaginatedAsync(query, page1.NextPageToken, options);

        Assert.Equal(handles.Skip(3).Reverse().Select(h => h.Id), page1.Workflows.Select(w => w.Id));
        Assert.Equal([handles[2].Id, handles[1].Id, handles[0].Id], page2.Workflows.Select(w => w.Id));
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.ListWorkflowsPaginatedAsync($"{query} ORDER BY StartTime", page1.NextPageToken, options));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        Assert.Contains("next page token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CountWorkflows_QueryAndGroupByExecutionStatus_CountsMatchingRuns()
    {
        var taskQueue = TestIds.New("tq");
        var handles = new List<WorkflowHandle<WaitForSignalWorkflow, string>>();
        for (var i = 0; i < 5; i++)
        {
            handles.Add(await StartOpenAsync(TestIds.New("wf"), taskQueue));
        }
        await handles[0].TerminateAsync("one");
        await handles[1].TerminateAsync("two");
        var inQueue = $"TaskQueue = '{taskQueue}'";

        Assert.Equal(5, (await Client.CountWorkflowsAsync(inQueue)).Count);
        Assert.Equal(3, (await Client.CountWorkflowsAsync($"{inQueue} AND ExecutionStatus = 'Running'")).Count);
        Assert.Equal(0, (await Client.CountWorkflowsAsync($"{inQueue} AND WorkflowType = 'Nothing'")).Count);
        Assert.Empty((await Client.CountWorkflowsAsync(inQueue)).Groups);

        var grouped = await Client.CountWorkflowsAsync($"{inQueue} GROUP BY ExecutionStatus");
        Assert.Equal(5, grouped.Count);
        var groups = grouped.Groups.ToDictionary(g => (string)Assert.Single(g.GroupValues), g => g.Count);
        Assert.Equal(new Dictionary<string, long> { ["Running"] = 3, ["Terminated"] = 2 }, groups);
    }

    [Theory]
    [InlineData("NoSuchAttribute = 'x'", "NoSuchAttribute")]
    [InlineData("WorkflowId = 'a' AND (HistoryLength > 'many')", "HistoryLength")]
    [InlineData("StartTime > 'last tuesday'", "StartTime")]
    [InlineData("ExecutionStatus = 'Sleeping'", "Sleeping")]
    [InlineData("WorkflowId = 'a' AND", "expected")]
    [InlineData("(WorkflowId = 'a'", "')'")]
    [InlineData("WorkflowId LIKE 'a%'", "LIKE")]
    [InlineData("WorkflowId = 'a' ORDER BY Missing", "Missing")]
    public async Task ListAndCountWorkflows_InvalidQuery_ThrowInvalidArgumentNamingTheProblem(string query, string named)
    {
        var listError = await Assert.ThrowsAsync<RpcException>(() => IdsAsync(query));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, listError.Code);
        Assert.Contains(named, listError.Message, StringComparison.Ordinal);
        var countError = await Assert.ThrowsAsync<RpcException>(() => Client.CountWorkflowsAsync(query));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, countError.Code);
        Assert.Contains(named, countError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListWorkflows_GroupBy_ThrowsInvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => IdsAsync("WorkflowId = 'a' GROUP BY ExecutionStatus"));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        Assert.Contains("GROUP BY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OperatorService_AddListRemoveSearchAttribute_FilterWorksOnlyWhileRegistered()
    {
        var name = $"EstuaryTemp{Guid.NewGuid():N}";
        var taskQueue = TestIds.New("tq");
        var query = $"TaskQueue = '{taskQueue}' AND {name} = 'yes'";
        var unknown = await Assert.ThrowsAsync<RpcException>(() => IdsAsync(query));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, unknown.Code);
        Assert.Contains(name, unknown.Message, StringComparison.Ordinal);

        await Client.Connection.OperatorService.AddSearchAttributesAsync(new()
        {
            Namespace = "default",
            SearchAttributes = { [name] = IndexedValueType.Keyword },
        });
        var reserved = await Assert.ThrowsAsync<RpcException>(() => Client.Connection.OperatorService.AddSearchAttributesAsync(new()
        {
            Namespace = "default",
            SearchAttributes = { ["BuildIds"] = IndexedValueType.Keyword },
        }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, reserved.Code);
        var listed = await Client.Connection.OperatorService.ListSearchAttributesAsync(new() { Namespace = "default" });
        Assert.Equal(IndexedValueType.Keyword, listed.CustomAttributes[name]);
        Assert.Equal(IndexedValueType.Keyword, listed.SystemAttributes["WorkflowId"]);
        Assert.Equal(IndexedValueType.Datetime, listed.SystemAttributes["StartTime"]);
        var keys = await Client.Connection.WorkflowService.GetSearchAttributesAsync(new GetSearchAttributesRequest());
        Assert.Equal(IndexedValueType.Keyword, keys.Keys[name]);
        Assert.Equal(IndexedValueType.Keyword, keys.Keys["ExecutionStatus"]);

        var tagged = await StartOpenAsync(TestIds.New("tagged"), taskQueue,
            new SearchAttributeCollection.Builder().Set(SearchAttributeKey.CreateKeyword(name), "yes").ToSearchAttributeCollection());
        await StartOpenAsync(TestIds.New("untagged"), taskQueue);
        Assert.Equal([tagged.Id], await IdsAsync(query));

        await Client.Connection.OperatorService.RemoveSearchAttributesAsync(new() { Namespace = "default", SearchAttributes = { name } });
        listed = await Client.Connection.OperatorService.ListSearchAttributesAsync(new() { Namespace = "default" });
        Assert.False(listed.CustomAttributes.ContainsKey(name));
        var removed = await Assert.ThrowsAsync<RpcException>(() => IdsAsync(query));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, removed.Code);
        Assert.Contains(name, removed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListOpenAndClosedWorkflowExecutions_Filters_SelectByStateTimeIdTypeAndStatus()
    {
        var service = Client.Connection.WorkflowService;
        var handle = await StartOpenAsync(TestIds.New("wf"), TestIds.New("tq"));
        var byId = new WorkflowExecutionFilter { WorkflowId = handle.Id };

        var open = await service.ListOpenWorkflowExecutionsAsync(new() { Namespace = "default", ExecutionFilter = byId });
        Assert.Equal(handle.ResultRunId, Assert.Single(open.Executions).Execution.RunId);
        Assert.Empty((await service.ListClosedWorkflowExecutionsAsync(new() { Namespace = "default", ExecutionFilter = byId })).Executions);
        var openOfType = await service.ListOpenWorkflowExecutionsAsync(new()
        {
            Namespace = "default",
            TypeFilter = new WorkflowTypeFilter { Name = "WaitForSignalWorkflow" },
            MaximumPageSize = 1000,
        });
        Assert.Contains(openOfType.Executions, e => e.Execution.WorkflowId == handle.Id);
        Assert.All(openOfType.Executions, e => Assert.Equal("WaitForSignalWorkflow", e.Type.Name));

        var startedAt = (await handle.DescribeAsync()).StartTime;
        await handle.TerminateAsync("closing");

        Assert.Empty((await service.ListOpenWorkflowExecutionsAsync(new() { Namespace = "default", ExecutionFilter = byId })).Executions);
        var closed = Assert.Single((await service.ListClosedWorkflowExecutionsAsync(new()
        {
            Namespace = "default",
            ExecutionFilter = byId,
            StartTimeFilter = new StartTimeFilter
            {
                EarliestTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(startedAt.AddMinutes(-5)),
                LatestTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(startedAt.AddMinutes(5)),
            },
        })).Executions);
        Assert.Equal(WorkflowExecutionStatus.Terminated, closed.Status);
        Assert.NotNull(closed.CloseTime);
        // Execution, type and status filters are one oneof: a status filter lists every run closed that way.
        var terminated = await service.ListClosedWorkflowExecutionsAsync(new()
        {
            Namespace = "default",
            StatusFilter = new StatusFilter { Status = WorkflowExecutionStatus.Terminated },
        });
        Assert.Contains(terminated.Executions, e => e.Execution.WorkflowId == handle.Id);
        Assert.All(terminated.Executions, e => Assert.Equal(WorkflowExecutionStatus.Terminated, e.Status));
        var completed = await service.ListClosedWorkflowExecutionsAsync(new()
        {
            Namespace = "default",
            StatusFilter = new StatusFilter { Status = WorkflowExecutionStatus.Completed },
        });
        Assert.DoesNotContain(completed.Executions, e => e.Execution.WorkflowId == handle.Id);
        Assert.Empty((await service.ListClosedWorkflowExecutionsAsync(new()
        {
            Namespace = "default",
            ExecutionFilter = byId,
            StartTimeFilter = new StartTimeFilter
            {
                EarliestTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(startedAt.AddMinutes(-10)),
                LatestTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(startedAt.AddMinutes(-5)),
            },
        })).Executions);
    }

    [Fact]
    public async Task ListAndCountWorkflows_OtherNamespace_SeeOnlyTheirOwnRuns()
    {
        var secondClient = new TemporalClient(Client.Connection, new TemporalClientOptions { Namespace = "second" });
        var taskQueue = TestIds.New("tq");
        var inSecond = await secondClient.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new(TestIds.New("wf"), taskQueue));
        var query = $"TaskQueue = '{taskQueue}'";

        Assert.Empty(await IdsAsync(query));
        Assert.Equal(0, (await Client.CountWorkflowsAsync(query)).Count);
        var listed = new List<string>();
        await foreach (var execution in secondClient.ListWorkflowsAsync(query))
        {
            listed.Add(execution.Id);
        }
        Assert.Equal([inSecond.Id], listed);
        Assert.Equal(1, (await secondClient.CountWorkflowsAsync(query)).Count);
    }

    [Fact]
    public async Task ScanWorkflowExecutions_Query_ReturnsMatchingRuns()
    {
        var taskQueue = TestIds.New("tq");
        var handle = await StartOpenAsync(TestIds.New("wf"), taskQueue);
        var scanned = await Client.Connection.WorkflowService.ScanWorkflowExecutionsAsync(new ScanWorkflowExecutionsRequest
        {
            Namespace = "default",
            Query = $"TaskQueue = '{taskQueue}'",
        });
        Assert.Equal(handle.Id, Assert.Single(scanned.Executions).Execution.WorkflowId);
    }

    [Fact]
    public async Task ListWorkflows_ChildWorkflow_ReportsItsParent()
    {
        var taskQueue = TestIds.New("tq");
        var childId = TestIds.New("child");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue).AddWorkflow<ParentWorkflow>().AddWorkflow<ChildWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var parent = await Client.StartWorkflowAsync((ParentWorkflow wf) => wf.RunAsync(new ChildPlan(childId, "hello")), new(TestIds.New("parent"), taskQueue));
            await parent.GetResultAsync();

            var child = Assert.Single(await ListAsync($"ParentWorkflowId = '{parent.Id}'"));
            Assert.Equal(childId, child.Id);
            Assert.Equal(parent.Id, child.ParentId);
            Assert.Equal(parent.ResultRunId, child.ParentRunId);
            Assert.Equal(WorkflowExecutionStatus.Completed, child.Status);
            Assert.Equal([childId], await IdsAsync($"TaskQueue = '{taskQueue}' AND ParentWorkflowId IS NOT NULL"));
            var raw = await Client.Connection.WorkflowService.ListWorkflowExecutionsAsync(new()
            {
                Namespace = "default",
                Query = $"WorkflowId = '{childId}'",
            });
            Assert.Equal(parent.ResultRunId, Assert.Single(raw.Executions).RootExecution.RunId);
            // The parent closes after its child: newest close first.
            Assert.Equal([parent.Id, childId], await IdsAsync($"RootWorkflowId = '{parent.Id}'"));
        });
    }
}
