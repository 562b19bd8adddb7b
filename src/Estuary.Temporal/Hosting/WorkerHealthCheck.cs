using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.Temporal.Hosting;

/// <summary>
/// Reports whether this process's workers are working, as the Temporal server sees them: Healthy when every served task
/// queue lists the worker's identity among its workflow pollers (and its activity pollers when the queue has activities);
/// Degraded while the workers start or have started but are not yet listed; Unhealthy when the start gave up, a worker
/// stopped, Temporal cannot say, or a queue that listed the worker no longer does. Each message names the task queue.
/// One DescribeTaskQueue call per queue and side, all at once, per check.
/// </summary>
internal sealed class WorkerHealthCheck : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly IEnumerable<IHostedService> _hostedServices;
    private readonly EstuaryWorkerStatus _status;
    private readonly WorkerPollers _pollers;
    private readonly Func<DescribeTaskQueueRequest, CancellationToken, Task<DescribeTaskQueueResponse>> _describe;

    // The queue sides that have listed this worker once: missing from one of them afterwards means it was lost.
    private readonly ConcurrentDictionary<(string Queue, TaskQueueType Type), bool> _seen = new();

    /// <param name="hostedServices">The process's hosted services, among which the Temporal workers.</param>
    /// <param name="status">How the start-up went.</param>
    /// <param name="pollers">What the workers poll, and as whom.</param>
    /// <param name="describe">Asks Temporal for a task queue's pollers.</param>
    public WorkerHealthCheck(
        IEnumerable<IHostedService> hostedServices,
        EstuaryWorkerStatus status,
        WorkerPollers pollers,
        Func<DescribeTaskQueueRequest, CancellationToken, Task<DescribeTaskQueueResponse>> describe)
    {
        _hostedServices = hostedServices;
        _status = status;
        _pollers = pollers;
        _describe = describe;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var workers = _hostedServices.OfType<EstuaryWorkerService>().ToList();
        if (workers.Count == 0)
        {
            return HealthCheckResult.Unhealthy("No Temporal worker is registered.");
        }

        if (workers.Any(w => w.ExecuteTask is null))
        {
            return HealthCheckResult.Unhealthy("The Temporal workers have not started yet.");
        }

        if (_status.Started.IsCompleted && !_status.Started.Result)
        {
            return HealthCheckResult.Unhealthy(_status.Failure ?? "The start-up was abandoned: the host is stopping.");
        }

        var stopped = workers.FirstOrDefault(w => w.ExecuteTask!.IsCompleted);
        if (stopped is not null)
        {
            return HealthCheckResult.Unhealthy(
                $"The Temporal worker of task queue '{stopped.TaskQueue}' has stopped.", stopped.ExecuteTask!.Exception?.GetBaseException());
        }

        if (!_status.Started.IsCompleted)
        {
            return HealthCheckResult.Degraded(
                $"Starting: {Queues()} will be polled once the databases and Temporal answer.");
        }

        var sides = _pollers.Queues
            .SelectMany(q => q.Types.Select(type => (q.Name, Type: type)))
            .ToList();
        var answers = await Task.WhenAll(sides.Select(side => SideAsync(side.Name, side.Type, cancellationToken)));
        var unhealthy = answers.Where(a => a.Status == HealthStatus.Unhealthy).Select(a => a.Message).ToList();
        if (unhealthy.Count > 0)
        {
            return HealthCheckResult.Unhealthy(string.Join(" ", unhealthy));
        }

        var waiting = answers.Where(a => a.Status == HealthStatus.Degraded).Select(a => a.Message).ToList();
        if (waiting.Count > 0)
        {
            return HealthCheckResult.Degraded(string.Join(" ", waiting));
        }

        return HealthCheckResult.Healthy($"Temporal lists {_pollers.Identity} among the pollers of {Queues()}.");
    }

    private async Task<(HealthStatus Status, string Message)> SideAsync(string queue, TaskQueueType type, CancellationToken cancellationToken)
    {
        var side = type == TaskQueueType.Workflow ? "workflow" : "activity";
        DescribeTaskQueueResponse described;
        try
        {
            described = await _describe(
                new DescribeTaskQueueRequest
                {
                    Namespace = _pollers.Namespace,
                    TaskQueue = new() { Name = queue, Kind = TaskQueueKind.Normal },
                    TaskQueueType = type,
                },
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (HealthStatus.Unhealthy, $"Temporal does not say who polls task queue '{queue}' ({side}): {e.Message}");
        }

        if (described.Pollers.Any(p => string.Equals(p.Identity, _pollers.Identity, StringComparison.Ordinal)))
        {
            _seen[(queue, type)] = true;
            return (HealthStatus.Healthy, string.Empty);
        }

        return _seen.ContainsKey((queue, type))
            ? (HealthStatus.Unhealthy, $"Task queue '{queue}' lost this worker: Temporal no longer lists {_pollers.Identity} among its {side} pollers.")
            : (HealthStatus.Degraded, $"Not yet seen polling task queue '{queue}': Temporal does not list {_pollers.Identity} among its {side} pollers yet.");
    }

    private string Queues() =>
        string.Join(", ", _pollers.Queues.Select(q => $"task queue '{q.Name}' ({string.Join(" and ", q.Types.Select(t => t == TaskQueueType.Workflow ? "workflows" : "activities"))})"));

    /// <summary>Creates the check that asks the Temporal server of <paramref name="client"/>.</summary>
    internal static Func<DescribeTaskQueueRequest, CancellationToken, Task<DescribeTaskQueueResponse>> Describe(Temporalio.Client.ITemporalClient client) =>
        (request, cancellationToken) => client.Connection.WorkflowService.DescribeTaskQueueAsync(
            request, new Temporalio.Client.RpcOptions { CancellationToken = cancellationToken, Timeout = Timeout });
}

/// <summary>What a worker process polls, and the identity its workers poll with (the one Temporal lists).</summary>
/// <param name="Identity">The workers' identity, set on each of them.</param>
/// <param name="Namespace">The Temporal namespace.</param>
/// <param name="Queues">Each served task queue and the sides (workflow, activity) its worker polls.</param>
internal sealed record WorkerPollers(string Identity, string Namespace, IReadOnlyList<WorkerPollers.Queue> Queues)
{
    /// <summary>One task queue and the sides its worker polls: workflows when it has workflows, activities when it has activities.</summary>
    /// <param name="Name">The task queue.</param>
    /// <param name="Types">Which sides are polled.</param>
    internal sealed record Queue(string Name, IReadOnlyList<TaskQueueType> Types);
}
