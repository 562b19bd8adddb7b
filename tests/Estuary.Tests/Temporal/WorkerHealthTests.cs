using System.Net;
using System.Net.Sockets;
using Estuary.DevServer;
using Estuary.Temporal.Hosting;
using Estuary.Tests.Infrastructure;
using Estuary.Worker.Example;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.Tests.Temporal;

/// <summary>
/// A worker process is Healthy only when Temporal lists it among the pollers of its task queue, Degraded until then,
/// Unhealthy when the queue has lost it.
/// </summary>
[Collection(UsesTemporal.Name)]
public sealed class WorkerHealthTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task CheckHealth_WorkerPolling_HealthyOnceTemporalListsItOnBothSidesAndDegradedBefore()
    {
        var taskQueue = $"health-polling-{Guid.NewGuid():N}";
        await using var worker = await StartWorkerAsync(taskQueue);
        var seen = new List<HealthReportEntry>();

        var healthy = await Eventually.PollAsync(
            async () =>
            {
                var entry = await CheckAsync(worker.Services);
                seen.Add(entry);
                return entry;
            },
            e => e.Status == HealthStatus.Healthy,
            "the worker reported healthy");

        // Until Temporal listed it, the worker was waiting to be seen, never failing.
        Assert.All(seen.SkipLast(1), e => Assert.Equal(HealthStatus.Degraded, e.Status));
        Assert.All(seen.SkipLast(1), e => Assert.Contains($"Not yet seen polling task queue '{taskQueue}'", e.Description, StringComparison.Ordinal));
        var workflowPoller = Assert.Single((await DescribeAsync(taskQueue, TaskQueueType.Workflow)).Pollers);
        var activityPoller = Assert.Single((await DescribeAsync(taskQueue, TaskQueueType.Activity)).Pollers);
        Assert.Equal(workflowPoller.Identity, activityPoller.Identity);
        Assert.Equal(
            $"Temporal lists {workflowPoller.Identity} among the pollers of task queue '{taskQueue}' (workflows and activities).",
            healthy.Description);
    }

    [Fact]
    public async Task CheckHealth_TemporalNotUpYet_DegradedNamingTheQueueThenHealthyOnceItPolls()
    {
        var port = UnusedPort();
        var taskQueue = $"health-starting-{Guid.NewGuid():N}";
        var database = await fixture.Postgres.CreateDatabaseAsync("health_starting");
        using var host = WorkerHost.Build(
            $"127.0.0.1:{port}",
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:example-db"] = database,
                ["Estuary:Worker:TaskQueue"] = taskQueue,
                ["Estuary:Worker:StartupTimeout"] = "00:02:00",
            },
            configure: null,
            new ExampleDomain());
        var starting = host.StartAsync();
        TemporalDevServer? server = null;
        try
        {
            // The start-up waits for Temporal: the workers have started, nothing polls yet.
            var degraded = await Eventually.PollAsync(() => CheckAsync(host.Services), e => e.Status == HealthStatus.Degraded, "the worker reported degraded");
            Assert.Equal(
                $"Starting: task queue '{taskQueue}' (workflows and activities) will be polled once the databases and Temporal answer.",
                degraded.Description);

            server = await TemporalDevServer.StartAsync(new DevServerOptions { Port = port });
            await starting;
            var healthy = await Eventually.PollAsync(() => CheckAsync(host.Services), e => e.Status != HealthStatus.Degraded, "the worker stopped waiting to be seen");
            Assert.Equal(HealthStatus.Healthy, healthy.Status);
            Assert.Contains($"task queue '{taskQueue}'", healthy.Description, StringComparison.Ordinal);
        }
        finally
        {
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            await starting;
            await host.StopAsync();
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task CheckHealth_QueueNoLongerListsTheWorker_UnhealthyNamingTheQueue()
    {
        var taskQueue = $"health-lost-{Guid.NewGuid():N}";
        await using var worker = await StartWorkerAsync(taskQueue);
        var pollers = worker.Services.GetRequiredService<WorkerPollers>();
        var real = WorkerHealthCheck.Describe(worker.Services.GetRequiredService<Temporalio.Client.ITemporalClient>());
        TaskQueueType? lostSide = null;

        // Temporal's real answers, minus this worker on the side that lost it: what the server says of a poller that stopped.
        var check = new WorkerHealthCheck(
            worker.Services.GetServices<IHostedService>(),
            worker.Services.GetRequiredService<EstuaryWorkerStatus>(),
            pollers,
            async (request, cancellationToken) =>
            {
                var answer = await real(request, cancellationToken);
                if (request.TaskQueueType == lostSide)
                {
                    foreach (var poller in answer.Pollers.Where(p => p.Identity == pollers.Identity).ToList())
                    {
                        answer.Pollers.Remove(poller);
                    }
                }

                return answer;
            });
        await Eventually.PollAsync(() => check.CheckHealthAsync(new()), r => r.Status == HealthStatus.Healthy, "the worker reported healthy");

        lostSide = TaskQueueType.Activity;
        var lost = await check.CheckHealthAsync(new());

        Assert.Equal(HealthStatus.Unhealthy, lost.Status);
        Assert.Equal(
            $"Task queue '{taskQueue}' lost this worker: Temporal no longer lists {pollers.Identity} among its activity pollers.",
            lost.Description);
    }

    private async Task<WorkerProcess> StartWorkerAsync(string taskQueue) =>
        await WorkerProcess.StartAsync(new ExampleDomain(), fixture.Address, await fixture.Postgres.CreateDatabaseAsync("health"), taskQueue);

    private static async Task<HealthReportEntry> CheckAsync(IServiceProvider services)
    {
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == EstuaryWorkerExtensions.WorkerHealthCheckName);
        return report.Entries[EstuaryWorkerExtensions.WorkerHealthCheckName];
    }

    private Task<DescribeTaskQueueResponse> DescribeAsync(string taskQueue, TaskQueueType type) =>
        fixture.Client.WorkflowService.DescribeTaskQueueAsync(new()
        {
            Namespace = fixture.Client.Options.Namespace,
            TaskQueue = new() { Name = taskQueue, Kind = TaskQueueKind.Normal },
            TaskQueueType = type,
        });

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
