using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Deployment.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.TaskQueue.V1;

namespace Estuary.DevServer.TaskQueues;

/// <summary>
/// The workers that polled each task queue recently, as DescribeTaskQueue lists them: one entry per poller identity with
/// the time of its last poll and its rate limit. As in Temporal, a poller is listed until it has not polled for
/// <see cref="Ttl"/>. Entries expire on the wall clock, so a time-skipping jump does not drop workers that are polling.
/// </summary>
internal sealed class PollerHistory
{
    /// <summary>How long a poller stays listed after its last poll (Temporal's poller history keeps five minutes).</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    /// <summary>The rate Temporal reports for a poller that set no limit of its own.</summary>
    public const double DefaultRatePerSecond = 100_000;

    private readonly ConcurrentDictionary<(string Namespace, string Queue, TaskQueueType Type), ConcurrentDictionary<string, Entry>> _queues = new();

    /// <summary>Records a poll that arrived at server time <paramref name="serverTime"/>.</summary>
    public void Record(string ns, string queue, TaskQueueType type, string identity, double? ratePerSecond,
        WorkerDeploymentOptions? deploymentOptions, DateTime serverTime)
    {
        var pollers = _queues.GetOrAdd((ns, queue, type), _ => new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal));
        pollers[identity] = new Entry(serverTime, DateTime.UtcNow, ratePerSecond is > 0 ? ratePerSecond.Value : DefaultRatePerSecond,
            deploymentOptions);
    }

    /// <summary>The queue's pollers seen within <see cref="Ttl"/>, most recent first.</summary>
    public List<PollerInfo> Pollers(string ns, string queue, TaskQueueType type)
    {
        if (!_queues.TryGetValue((ns, queue, type), out var pollers))
        {
            return [];
        }
        var oldest = DateTime.UtcNow - Ttl;
        var listed = new List<(DateTime Seen, PollerInfo Info)>();
        foreach (var (identity, entry) in pollers)
        {
            if (entry.WallTime < oldest)
            {
                pollers.TryRemove(new KeyValuePair<string, Entry>(identity, entry));
                continue;
            }
            listed.Add((entry.WallTime, new PollerInfo
            {
                Identity = identity,
                LastAccessTime = Timestamp.FromDateTime(entry.ServerTime),
                RatePerSecond = entry.RatePerSecond,
                DeploymentOptions = entry.DeploymentOptions,
            }));
        }
        return listed.OrderByDescending(p => p.Seen).Select(p => p.Info).ToList();
    }

    private sealed record Entry(DateTime ServerTime, DateTime WallTime, double RatePerSecond, WorkerDeploymentOptions? DeploymentOptions);
}
