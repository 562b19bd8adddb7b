using Estuary.DevServer.Tests.Workflows;
using Temporalio.Client;

namespace Estuary.DevServer.Tests;

/// <summary>
/// Listing and counting every run of a namespace, without a filter, on a server of the test's own: what the server
/// keeps in list order and counts by status must follow runs as they start, close, are dropped and are read back from
/// the database file.
/// </summary>
public sealed class NamespaceVisibilityTests
{
    [DevServerOnlyFact]
    public async Task ListAndCountWorkflows_NoFilterAcrossClosesDropsAndRestart_EveryHeldRunInOrderAndCountedByStatus()
    {
        var directory = Path.Combine(Path.GetTempPath(), TestIds.New("estuary-visibility"));
        Directory.CreateDirectory(directory);
        try
        {
            var options = new DevServerOptions { DatabasePath = Path.Combine(directory, "state.db"), MaxClosedWorkflows = 3 };
            var taskQueue = TestIds.New("tq");
            List<string> expected;
            await using (var server = await TemporalDevServer.StartAsync(options))
            {
                var client = await TemporalClient.ConnectAsync(new(server.Address));
                var handles = new List<WorkflowHandle>();
                for (var i = 0; i < 6; i++)
                {
                    handles.Add(await client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), new($"wf-{i}", taskQueue)));
                }
                // Five close, one after the other; only the three closed last are kept.
                foreach (var handle in handles.Take(5))
                {
                    await handle.TerminateAsync("done");
                }
                // Open first, then the newest close first.
                expected = ["wf-5", "wf-4", "wf-3", "wf-2"];
                await AssertNamespaceAsync(client, expected);
            }
            await using (var restarted = await TemporalDevServer.StartAsync(options))
            {
                var client = await TemporalClient.ConnectAsync(new(restarted.Address));
                await AssertNamespaceAsync(client, expected);

                await client.GetWorkflowHandle("wf-5").TerminateAsync("done");
                await AssertNamespaceAsync(client, ["wf-5", "wf-4", "wf-3"], running: 0);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task AssertNamespaceAsync(TemporalClient client, List<string> expected, int running = 1)
    {
        // A page at a time, so every page starts from the previous page's token.
        var listed = new List<string>();
        byte[]? token = null;
        do
        {
            var page = await client.ListWorkflowsPaginatedAsync("", token, new WorkflowListPaginatedOptions { PageSize = 1 });
            listed.AddRange(page.Workflows.Select(w => w.Id));
            token = page.NextPageToken;
        }
        while (token is not null);
        Assert.Equal(expected, listed);
        Assert.Equal(expected, (await client.ListWorkflowsPaginatedAsync("ExecutionStatus != 'Running' OR ExecutionStatus = 'Running'", null)).Workflows.Select(w => w.Id));
        Assert.Equal(expected.Count, (await client.CountWorkflowsAsync("")).Count);
        var grouped = await client.CountWorkflowsAsync("GROUP BY ExecutionStatus");
        Assert.Equal(expected.Count, grouped.Count);
        var groups = grouped.Groups.ToDictionary(g => (string)Assert.Single(g.GroupValues), g => g.Count);
        var byStatus = new Dictionary<string, long> { ["Terminated"] = expected.Count - running };
        if (running > 0)
        {
            byStatus["Running"] = running;
        }
        Assert.Equal(byStatus, groups);
    }
}
