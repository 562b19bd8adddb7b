using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Estuary.Testing;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using WorkflowExecution = Temporalio.Api.Common.V1.WorkflowExecution;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;

// Usage: Estuary.DevServer.Ui.Bench [closed=100000] [events=10000] [requests=50]
//   Runs the DevServer executable with its UI, fills the default namespace with `closed` closed workflows (started
//   and terminated, no worker needed) and one run whose history has `events` events (signals), then times the UI's
//   pages over HTTP from this process: the workflows list (first page, a filtered page, the next page) and the
//   workflow page of the long history, `requests` times each after a warm-up. It also times the Temporal calls the
//   pages make, so it shows where a page's time goes.
var numbers = args.Select(a => int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : -1).ToList();
if (numbers.Contains(-1))
{
    Console.Error.WriteLine("Arguments are positive counts: [closed=100000] [events=10000] [requests=50].");
    return 2;
}
var closed = numbers.Count > 0 ? numbers[0] : 100_000;
var events = numbers.Count > 1 ? numbers[1] : 10_000;
var requests = numbers.Count > 2 ? numbers[2] : 50;
const string Namespace = "default";

var uiPort = DevServerProcess.FreePort();
using var server = DevServerProcess.Start("--ui-port", uiPort.ToString(CultureInfo.InvariantCulture), "--max-closed-workflows", (closed + 1000).ToString(CultureInfo.InvariantCulture));
TemporalClient client = null!;
for (var attempt = 0; ; attempt++)
{
    try
    {
        client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(server.Address) { Namespace = Namespace });
        break;
    }
    catch (Exception) when (attempt < 120)
    {
        await Task.Delay(500);
    }
}
var service = client.Connection.WorkflowService;
var types = new[] { "OrderWorkflow", "BookingWorkflow", "PaymentWorkflow", "ReminderWorkflow" };
var queues = new[] { "orders", "bookings", "payments" };

// Closed workflows: start and terminate, 64 at a time.
var fill = Stopwatch.StartNew();
await ForEachAsync(closed, 64, async i =>
{
    var id = $"closed-{i:D6}";
    await service.StartWorkflowExecutionAsync(new StartWorkflowExecutionRequest
    {
        Namespace = Namespace,
        WorkflowId = id,
        WorkflowType = new WorkflowType { Name = types[i % types.Length] },
        TaskQueue = new TaskQueue { Name = queues[i % queues.Length] },
        Input = JsonPayloads($"{{\"order\":{i},\"customer\":\"c-{i % 977}\"}}"),
        RequestId = Guid.NewGuid().ToString(),
    });
    await service.TerminateWorkflowExecutionAsync(new TerminateWorkflowExecutionRequest
    {
        Namespace = Namespace,
        WorkflowExecution = new WorkflowExecution { WorkflowId = id },
        Reason = "bench",
    });
});
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"filled closed={closed} in {fill.Elapsed.TotalSeconds:F1}s"));

// One run with a long history: started (2 events) and signalled until it has `events` events; no worker, so it stays open.
fill.Restart();
var longRun = await service.StartWorkflowExecutionAsync(new StartWorkflowExecutionRequest
{
    Namespace = Namespace,
    WorkflowId = "long-history",
    WorkflowType = new WorkflowType { Name = "LongHistoryWorkflow" },
    TaskQueue = new TaskQueue { Name = "long" },
    Input = JsonPayloads("{\"items\":10000}"),
    RequestId = Guid.NewGuid().ToString(),
});
await ForEachAsync(events - 2, 32, i => service.SignalWorkflowExecutionAsync(new SignalWorkflowExecutionRequest
{
    Namespace = Namespace,
    WorkflowExecution = new WorkflowExecution { WorkflowId = "long-history", RunId = longRun.RunId },
    SignalName = "item",
    Input = JsonPayloads($"{{\"item\":{i},\"sku\":\"sku-{i % 311}\",\"quantity\":{1 + (i % 5)}}}"),
    RequestId = Guid.NewGuid().ToString(),
}));
var history = await client.GetWorkflowHandle("long-history", longRun.RunId).FetchHistoryAsync();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"filled long-history events={history.Events.Count} in {fill.Elapsed.TotalSeconds:F1}s"));

using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{uiPort}/") };
var firstPage = await http.GetStringAsync("/namespaces/default/workflows");
var next = Regex.Match(firstPage, "href=\"([^\"]*next=[^\"]*)\" ?rel|rel=\"next\" href=\"([^\"]*)\"");
var nextUrl = System.Net.WebUtility.HtmlDecode(next.Groups[1].Success ? next.Groups[1].Value : next.Groups[2].Value);
if (nextUrl.Length == 0)
{
    Console.Error.WriteLine("The list page has no next-page link.");
    return 1;
}

var pages = new (string Name, string Url)[]
{
    ("list, first page (50 of all)", "/namespaces/default/workflows"),
    ("list, next page", nextUrl),
    ("list's counts by status (fetched by the page's script)", "/_ui/namespaces/default/counts"),
    ("list, filtered by type and status", "/namespaces/default/workflows?query=" + Uri.EscapeDataString("WorkflowType = 'BookingWorkflow' AND ExecutionStatus = 'Terminated'")),
    ($"workflow page, {history.Events.Count} events", $"/namespaces/default/workflows/long-history/{longRun.RunId}/history"),
};
foreach (var (name, url) in pages)
{
    await MeasureAsync(name, async () =>
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseContentRead);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsByteArrayAsync()).Length;
    });
}

// The Temporal calls behind the pages, timed alone.
await MeasureAsync("rpc ListWorkflowExecutions (page of 50)", async () =>
    (await service.ListWorkflowExecutionsAsync(new ListWorkflowExecutionsRequest { Namespace = Namespace, PageSize = 50 })).Executions.Count);
await MeasureAsync("rpc CountWorkflowExecutions GROUP BY ExecutionStatus", async () =>
    (int)(await service.CountWorkflowExecutionsAsync(new CountWorkflowExecutionsRequest { Namespace = Namespace, Query = "GROUP BY ExecutionStatus" })).Groups.Sum(g => g.Count));
await MeasureAsync("rpc DescribeWorkflowExecution (long history)", async () =>
    (int)(await service.DescribeWorkflowExecutionAsync(new DescribeWorkflowExecutionRequest { Namespace = Namespace, Execution = new WorkflowExecution { WorkflowId = "long-history", RunId = longRun.RunId } })).WorkflowExecutionInfo.HistoryLength);
await MeasureAsync("rpc GetWorkflowExecutionHistory (all pages)", async () =>
{
    var count = 0;
    var token = ByteString.Empty;
    do
    {
        var page = await service.GetWorkflowExecutionHistoryAsync(new GetWorkflowExecutionHistoryRequest
        {
            Namespace = Namespace,
            Execution = new WorkflowExecution { WorkflowId = "long-history", RunId = longRun.RunId },
            NextPageToken = token,
        });
        count += page.History.Events.Count;
        token = page.NextPageToken;
    }
    while (!token.IsEmpty);
    return count;
});
return 0;

// Times `requests` sequential calls after a warm-up of a fifth as many; prints median, p90, min and the server's CPU per call.
async Task MeasureAsync(string name, Func<Task<int>> call)
{
    for (var i = 0; i < Math.Max(5, requests / 5); i++)
    {
        await call();
    }
    var elapsed = new List<double>(requests);
    var size = 0;
    var cpuBefore = server.CpuTime();
    for (var i = 0; i < requests; i++)
    {
        var started = Stopwatch.GetTimestamp();
        size = await call();
        elapsed.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    var cpu = (server.CpuTime() - cpuBefore).TotalMilliseconds / requests;
    elapsed.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name}: median={elapsed[elapsed.Count / 2]:F1}ms p90={elapsed[(int)(elapsed.Count * 0.9)]:F1}ms min={elapsed[0]:F1}ms server_cpu={cpu:F1}ms/request size={size}"));
}

static async Task ForEachAsync(int count, int concurrency, Func<int, Task> body)
{
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            await body(i);
        }
    }));
}

static Payloads JsonPayloads(string json)
{
    var payload = new Payload { Data = ByteString.CopyFromUtf8(json) };
    payload.Metadata["encoding"] = ByteString.CopyFromUtf8("json/plain");
    return new Payloads { Payloads_ = { payload } };
}
