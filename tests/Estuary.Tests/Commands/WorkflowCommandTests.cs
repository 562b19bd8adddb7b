using System.Text.Json;
using Estuary.Cli.Commands;
using Estuary.Tests.Infrastructure;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.Tests.Commands;

/// <summary>
/// <c>workflow &lt;verb&gt;</c> against a running <see cref="OrderWorkflow"/>: its signals, queries and updates typed from its
/// definition, and every invalid input refused with exit code 2 before anything reaches the workflow.
/// </summary>
[Collection(UsesTemporal.Name)]
public sealed class WorkflowCommandTests(EndToEndFixture fixture) : IAsyncLifetime
{
    private readonly string _taskQueue = $"orders-{Guid.NewGuid():N}";
    private readonly CancellationTokenSource _stop = new();
    private Task _worker = Task.CompletedTask;

    public ValueTask InitializeAsync()
    {
        var worker = new TemporalWorker(fixture.Client, new TemporalWorkerOptions(_taskQueue).AddWorkflow<OrderWorkflow>());
        _worker = RunAsync(worker);
        return ValueTask.CompletedTask;

        async Task RunAsync(TemporalWorker w)
        {
            using (w)
            {
                try
                {
                    await w.ExecuteAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // The test is over.
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _worker;
        _stop.Dispose();
    }

    [Fact]
    public async Task Signal_DefinedSignalWithJsonArgument_ReachesTheWorkflow()
    {
        var order = await StartOrderAsync();

        var (exitCode, output, error) = await RunAsync("workflow", "signal", order.Id, "AddLine", "{\"sku\":\"tea\",\"quantity\":2}");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.Equal($"Sent signal AddLine to workflow '{order.Id}' (OrderWorkflow).{Environment.NewLine}", output);
        var lines = await order.WaitUntilAsync(() => order.QueryAsync(wf => wf.Lines), l => l.Count == 1, "the signalled line");
        Assert.Equal(new OrderLine("tea", 2), lines[0]);
    }

    [Fact]
    public async Task Query_WithArgument_PrintsTheAnswer()
    {
        var order = await StartOrderAsync();
        await order.SignalAsync(wf => wf.AddLineAsync(new OrderLine("tea", 3)));

        var (exitCode, output, error) = await RunAsync("workflow", "query", order.Id, "Count", "tea", "--json");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        using var document = JsonDocument.Parse(output);
        Assert.Equal(("Count", "answered", 3), (document.RootElement.GetProperty("query").GetString(), document.RootElement.GetProperty("status").GetString(), document.RootElement.GetProperty("result").GetInt32()));
    }

    [Fact]
    public async Task Update_ValidArguments_PrintsTheAnswer()
    {
        var order = await StartOrderAsync();
        await order.SignalAsync(wf => wf.AddLineAsync(new OrderLine("tea", 3)));

        var (exitCode, output, error) = await RunAsync("workflow", "update", order.Id, "SetQuantity", "coffee", "4");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.Equal($"7{Environment.NewLine}", output);
    }

    [Fact]
    public async Task Update_RejectedByItsValidator_ExitsOneWithTheReason()
    {
        var order = await StartOrderAsync();

        var (exitCode, _, error) = await RunAsync("workflow", "update", order.Id, "SetQuantity", "tea", "-1");

        Assert.Equal(EstuaryCommandLine.Failed, exitCode);
        Assert.StartsWith($"error: Update 'SetQuantity' of OrderWorkflow (workflow '{order.Id}') failed: ", error, StringComparison.Ordinal);
        Assert.Contains("The quantity of tea must not be negative, got -1.", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("OrderWorkflow (workflow '{id}') has no signal 'Cancel' (signals: AddLine, Close).", "signal", "Cancel")]
    [InlineData("OrderWorkflow (workflow '{id}') has no query 'Total' (queries: Count, Lines).", "query", "Total")]
    [InlineData("OrderWorkflow (workflow '{id}') has no update 'AddLine' (updates: SetQuantity).", "update", "AddLine", "{}")]
    [InlineData("Signal 'AddLine' of OrderWorkflow takes 1 argument (line: OrderLine (JSON)), got 0.", "signal", "AddLine")]
    [InlineData("Argument 'quantity' of update 'SetQuantity' of OrderWorkflow must be an int, got 'many'.", "update", "SetQuantity", "tea", "many")]
    [InlineData("Argument 'line' of signal 'AddLine' of OrderWorkflow has an unknown member 'qty' (OrderLine has: sku, quantity).", "signal", "AddLine", "{\"sku\":\"tea\",\"qty\":1}")]
    [InlineData("Argument 'line' of signal 'AddLine' of OrderWorkflow must be OrderLine (JSON): ", "signal", "AddLine", "{not json")]
    public async Task Handler_InvalidInput_ExitsTwoAndSendsNothing(string expected, params string[] verbAndArguments)
    {
        var order = await StartOrderAsync();
        // Once its first task is done the workflow waits: anything the command sent would add events.
        var before = await order.WaitForHistoryAsync(events => events.Any(e => e.EventType == EventType.WorkflowTaskCompleted), "the first workflow task");

        var (exitCode, output, error) = await RunAsync(["workflow", verbAndArguments[0], order.Id, .. verbAndArguments[1..]]);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Empty(output);
        Assert.StartsWith($"error: {expected.Replace("{id}", order.Id, StringComparison.Ordinal)}", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        var after = await order.FetchHistoryAsync();
        Assert.Equal(before.Count, after.Events.Count);
        Assert.Empty(await order.QueryAsync(wf => wf.Lines));
    }

    [Theory]
    [InlineData("signal", "AddLine", "{\"sku\":\"tea\",\"quantity\":1}")]
    [InlineData("describe")]
    [InlineData("cancel")]
    public async Task Verb_UnknownWorkflowId_ExitsTwo(params string[] verbAndArguments)
    {
        var id = $"missing-{Guid.NewGuid():N}";

        var (exitCode, _, error) = await RunAsync(["workflow", verbAndArguments[0], id, .. verbAndArguments[1..]]);

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Equal($"error: No workflow '{id}' in namespace 'default' at {fixture.Address}.{Environment.NewLine}", error);
    }

    [Fact]
    public async Task Verb_UnknownWorkflowIdWithJson_PrintsAnInvalidDocument()
    {
        var id = $"missing-{Guid.NewGuid():N}";

        var (exitCode, output, error) = await RunAsync("workflow", "query", id, "Count", "tea", "--json");

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Empty(error);
        using var document = JsonDocument.Parse(output);
        Assert.Equal(
            ("invalid", $"No workflow '{id}' in namespace 'default' at {fixture.Address}."),
            (document.RootElement.GetProperty("status").GetString(), document.RootElement.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Signal_WorkflowTypeNoDomainDefines_ExitsTwo()
    {
        var id = $"foreign-{Guid.NewGuid():N}";
        var foreign = await fixture.Client.StartWorkflowAsync("ForeignWorkflow", [], new WorkflowOptions(id, _taskQueue + "-nobody"));
        try
        {
            var (exitCode, _, error) = await RunAsync("workflow", "signal", id, "AddLine", "{}");

            Assert.Equal(EstuaryCommandLine.Usage, exitCode);
            Assert.Equal(
                $"error: Workflow '{id}' (ForeignWorkflow): no domain of this executable (orders) defines ForeignWorkflow, so its arguments are unknown; cannot send it a signal.{Environment.NewLine}",
                error);
        }
        finally
        {
            await foreign.TerminateAsync("test done");
        }
    }

    [Theory]
    [InlineData("signal")]
    [InlineData("query")]
    [InlineData("update")]
    [InlineData("describe")]
    [InlineData("terminate")]
    public async Task Help_WithWorkflowId_ListsItsOwnSignalsQueriesAndUpdates(string verb)
    {
        var order = await StartOrderAsync();

        var (exitCode, output, error) = await RunAsync("workflow", verb, order.Id, "--help");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        var tail = output[output.IndexOf($"Workflow '{order.Id}'", StringComparison.Ordinal)..].TrimEnd().Split(Environment.NewLine);
        Assert.Equal(
            [
                $"Workflow '{order.Id}' is a OrderWorkflow (Running); it defines:",
                "  signals:",
                "    AddLine (line: OrderLine (JSON))",
                "    Close (note: string?)",
                "  queries:",
                "    Count (sku: string) -> int",
                "    Lines (no arguments) -> IReadOnlyList<OrderLine> (JSON)",
                "  updates:",
                "    SetQuantity (sku: string, quantity: int) -> int",
            ],
            tail);
    }

    [Fact]
    public async Task Describe_Json_NamesTypeDomainStatusAndHandlers()
    {
        var order = await StartOrderAsync();

        var (exitCode, output, error) = await RunAsync("workflow", "describe", order.Id, "--json");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        using var document = JsonDocument.Parse(output);
        var root = document.RootElement;
        Assert.Equal((order.Id, "OrderWorkflow", "orders", "running", _taskQueue),
            (root.GetProperty("workflowId").GetString(), root.GetProperty("workflowType").GetString(), root.GetProperty("domain").GetString(),
             root.GetProperty("status").GetString(), root.GetProperty("taskQueue").GetString()));
        Assert.Equal(["AddLine", "Close"], root.GetProperty("handlers").GetProperty("signals").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task History_Json_IsTemporalsHistoryFormat()
    {
        var order = await StartOrderAsync();
        await order.SignalAsync(wf => wf.AddLineAsync(new OrderLine("tea", 1)));
        await order.WaitForHistoryAsync(events => events.Any(e => e.EventType == EventType.WorkflowExecutionSignaled), "the signal");

        var (exitCode, output, error) = await RunAsync("workflow", "history", order.Id, "--json");
        var (textExitCode, text, _) = await RunAsync("workflow", "history", order.Id);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        var history = WorkflowHistory.FromJson(order.Id, output);
        Assert.Equal(EventType.WorkflowExecutionStarted, history.Events.First().EventType);
        Assert.Contains(history.Events, e => e.EventType == EventType.WorkflowExecutionSignaled && e.WorkflowExecutionSignaledEventAttributes.SignalName == "AddLine");
        Assert.Equal(EstuaryCommandLine.Success, textExitCode);
        Assert.Matches(@"^\s+1  \S+Z  WorkflowExecutionStarted  OrderWorkflow on " + _taskQueue, text.Split(Environment.NewLine)[0]);
        Assert.Contains("WorkflowExecutionSignaled  AddLine", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Result_RunningWithoutWait_ExitsOneThenWithWaitPrintsTheResult()
    {
        var order = await StartOrderAsync();
        var (runningExitCode, runningOutput, _) = await RunAsync("workflow", "result", order.Id, "--json");
        await order.SignalAsync(wf => wf.AddLineAsync(new OrderLine("tea", 2)));

        var waiting = RunAsync("workflow", "result", order.Id, "--wait", "--json");
        await order.SignalAsync(wf => wf.CloseAsync("thanks"));
        var (exitCode, output, error) = await waiting;

        Assert.Equal(EstuaryCommandLine.Failed, runningExitCode);
        using (var running = JsonDocument.Parse(runningOutput))
        {
            Assert.Equal("running", running.RootElement.GetProperty("status").GetString());
        }

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        using var document = JsonDocument.Parse(output);
        var result = document.RootElement.GetProperty("result");
        Assert.Equal(("completed", 2, "thanks"), (document.RootElement.GetProperty("status").GetString(), result.GetProperty("Items").GetInt32(), result.GetProperty("Note").GetString()));
    }

    [Fact]
    public async Task Cancel_RunningWorkflow_CancelsItAndASecondCancelExitsOne()
    {
        var order = await StartOrderAsync();

        var (exitCode, output, error) = await RunAsync("workflow", "cancel", order.Id);
        var failure = await Assert.ThrowsAsync<WorkflowFailedException>(() => order.GetResultAsync());
        var (againExitCode, _, againError) = await RunAsync("workflow", "cancel", order.Id);

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        Assert.Equal($"Asked workflow '{order.Id}' (OrderWorkflow) to cancel.{Environment.NewLine}", output);
        Assert.IsType<CanceledFailureException>(failure.InnerException);
        Assert.Equal(EstuaryCommandLine.Failed, againExitCode);
        Assert.Equal($"error: Workflow '{order.Id}' (OrderWorkflow) is Canceled: cannot cancel it.{Environment.NewLine}", againError);
    }

    [Fact]
    public async Task Terminate_WithReason_TerminatesAndRecordsTheReason()
    {
        var order = await StartOrderAsync();

        var (exitCode, output, error) = await RunAsync("workflow", "terminate", order.Id, "--reason", "duplicate order", "--json");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        using var document = JsonDocument.Parse(output);
        Assert.Equal("terminated", document.RootElement.GetProperty("status").GetString());
        var history = await order.FetchHistoryAsync();
        Assert.Equal("duplicate order", history.Events.Last().WorkflowExecutionTerminatedEventAttributes.Reason);
    }

    [Fact]
    public async Task List_QueryByWorkflowId_ListsThatWorkflow()
    {
        var order = await StartOrderAsync();

        var (exitCode, output, error) = await RunAsync("workflow", "list", "--query", $"WorkflowId = '{order.Id}'", "--json");
        var (textExitCode, text, _) = await RunAsync("workflow", "list", "--query", $"WorkflowId = '{order.Id}'");

        Assert.True(exitCode == EstuaryCommandLine.Success, error);
        using var document = JsonDocument.Parse(output);
        var workflow = Assert.Single(document.RootElement.GetProperty("workflows").EnumerateArray());
        Assert.Equal((order.Id, "OrderWorkflow", "running"), (workflow.GetProperty("workflowId").GetString(), workflow.GetProperty("workflowType").GetString(), workflow.GetProperty("status").GetString()));
        Assert.False(document.RootElement.GetProperty("more").GetBoolean());
        Assert.Equal(EstuaryCommandLine.Success, textExitCode);
        Assert.StartsWith("WORKFLOW ID", text, StringComparison.Ordinal);
        Assert.Contains($"{order.Id}  OrderWorkflow  Running  ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_InvalidLimit_ExitsTwo()
    {
        var (exitCode, _, error) = await RunAsync("workflow", "list", "--limit", "0");

        Assert.Equal(EstuaryCommandLine.Usage, exitCode);
        Assert.Equal($"error: Option '--limit' must be 1 or more, got 0.{Environment.NewLine}", error);
    }

    private async Task<WorkflowHandle<OrderWorkflow>> StartOrderAsync() =>
        await fixture.Client.StartWorkflowAsync(
            (OrderWorkflow wf) => wf.RunAsync(new OrderInput("o-1")),
            new WorkflowOptions($"order-{Guid.NewGuid():N}", _taskQueue) { RunTimeout = TimeSpan.FromMinutes(5) });

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) =>
        CommandLineRunner.RunAsync([new OrdersDomain()], [.. args, "--address", fixture.Address]);
}
