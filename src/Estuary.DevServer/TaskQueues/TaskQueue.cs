using Estuary.DevServer.Deployments;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.TaskQueue.V1;

namespace Estuary.DevServer.TaskQueues;

/// <summary>
/// One task queue (workflow or activity) of one namespace: a backlog of tasks plus the long polls waiting for them,
/// under the queue's own lock (never held while a task is started: starting one takes its run's lock). A poll's
/// completion source runs its continuation asynchronously, so nothing runs under that lock either. With worker
/// versioning a task goes only to a poll of the version its route names (null: an unversioned worker); the route is
/// asked each time the task is matched, so it follows routing changes, and reads nothing that needs a run's lock.
/// The queue also keeps what its statistics report (<see cref="Stats"/>): when each backlog entry arrived, and the
/// tasks added and dispatched within the last <see cref="RateWindow"/>.
/// </summary>
/// <typeparam name="TTask">What sits in the backlog (a workflow run or an activity).</typeparam>
/// <typeparam name="TResponse">What a poll answers.</typeparam>
internal sealed class TaskQueue<TTask, TResponse>
    where TTask : class
    where TResponse : class
{
    /// <summary>The span Temporal averages its add and dispatch rates over.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(30);

    private readonly object _lock = new();
    private readonly LinkedList<TTask> _backlog = new();
    private readonly Dictionary<TTask, DateTime> _backlogSince = new(ReferenceEqualityComparer.Instance);
    private readonly Queue<(DateTime At, WorkerVersion? Version, bool Dispatched)> _recent = new();
    private readonly LinkedList<Poller> _pollers = new();
    private readonly Func<TTask, string, TResponse?> _start;
    private readonly Func<TTask, WorkerVersion?> _route;
    private bool _retired;

    /// <param name="name">Queue name.</param>
    /// <param name="start">Turns a backlog entry into a poll answer, or returns null when the entry went stale.</param>
    /// <param name="route">The version whose workers may take a task (null: unversioned workers).</param>
    public TaskQueue(string name, Func<TTask, string, TResponse?> start, Func<TTask, WorkerVersion?> route)
    {
        Name = name;
        _start = start;
        _route = route;
    }

    public string Name { get; }

    /// <summary>
    /// Hands the task to a waiting poll (which starts it once it runs again and knows its caller is still there),
    /// or keeps it in the backlog. False when the queue was retired: the caller adds to the queue now registered.
    /// </summary>
    public bool TryAdd(TTask task)
    {
        lock (_lock)
        {
            if (_retired)
            {
                return false;
            }
            var now = DateTime.UtcNow;
            var version = _route(task);
            Count(now, version, dispatched: false);
            if (PollerFor(task) is { } poller)
            {
                _pollers.Remove(poller);
                Count(now, version, dispatched: true);
                poller.Value.Completion.TrySetResult(task);
                return true;
            }
            _backlog.AddLast(task);
            _backlogSince.TryAdd(task, now);
            return true;
        }
    }

    /// <summary>Hands backlog tasks to waiting polls they may go to now (the routing changed).</summary>
    public void Rematch()
    {
        lock (_lock)
        {
            for (var node = _backlog.First; node is not null && _pollers.Count > 0;)
            {
                var next = node.Next;
                if (PollerFor(node.Value) is { } poller)
                {
                    _pollers.Remove(poller);
                    TakeFromBacklog(node);
                    poller.Value.Completion.TrySetResult(node.Value);
                }
                node = next;
            }
        }
    }

    private LinkedListNode<Poller>? PollerFor(TTask task)
    {
        if (_pollers.First is null)
        {
            return null;
        }
        var target = _route(task);
        for (var node = _pollers.First; node is not null; node = node.Next)
        {
            if (node.Value.Accepts(target))
            {
                return node;
            }
        }
        return null;
    }

    /// <summary>Starts a task handed to a poll; null when it went stale meanwhile.</summary>
    public TResponse? Start(TTask task, string identity) => _start(task, identity);

    /// <summary>
    /// Takes the first live task from the backlog that a worker of <paramref name="version"/> may take (any task when
    /// <paramref name="anyVersion"/>: a worker's own sticky queue), or registers a poll that waits for one.
    /// </summary>
    public TResponse? TakeOrWait(string identity, WorkerVersion? version, bool anyVersion, out Poller? poller)
    {
        while (true)
        {
            TTask task;
            lock (_lock)
            {
                var node = _backlog.First;
                while (node is not null && !(anyVersion || _route(node.Value) == version))
                {
                    node = node.Next;
                }
                if (node is null)
                {
                    poller = new Poller(identity, this, version, anyVersion);
                    poller.Node = _pollers.AddLast(poller);
                    return null;
                }
                task = node.Value;
                TakeFromBacklog(node);
            }
            var response = _start(task, identity);
            if (response is not null)
            {
                poller = null;
                return response;
            }
        }
    }

    /// <summary>Removes a poll that gave up; returns false if a task was already handed to it.</summary>
    public bool Remove(Poller poller)
    {
        lock (_lock)
        {
            if (poller.Node?.List is null)
            {
                return false;
            }
            _pollers.Remove(poller.Node);
            return true;
        }
    }

    /// <summary>
    /// Retires the queue if nothing waits on either side, so queues nobody uses (a vanished worker's sticky queue, a
    /// test's queue) do not pile up; a task added later goes to a new queue of the same name.
    /// </summary>
    public bool TryRetire()
    {
        lock (_lock)
        {
            if (_backlog.Count > 0 || _pollers.Count > 0)
            {
                return false;
            }
            _retired = true;
            return true;
        }
    }

    /// <summary>Retires the queue (a sticky queue whose worker shut down): empties the backlog and answers every poll empty.</summary>
    public List<TTask> Drain()
    {
        lock (_lock)
        {
            _retired = true;
            var tasks = _backlog.ToList();
            _backlog.Clear();
            _backlogSince.Clear();
            while (_pollers.First is { } node)
            {
                _pollers.RemoveFirst();
                node.Value.Completion.TrySetResult(null);
            }
            return tasks;
        }
    }

    /// <summary>
    /// The queue's statistics for the tasks routed to the versions <paramref name="includes"/> accepts (null:
    /// unversioned workers): the backlog's size and the age of its oldest task, and the tasks per second added (to the
    /// backlog or straight to a waiting poll) and dispatched over the last <see cref="RateWindow"/>.
    /// </summary>
    public TaskQueueStats Stats(Func<WorkerVersion?, bool> includes)
    {
        lock (_lock)
        {
            var now = DateTime.UtcNow;
            Trim(now);
            var (count, oldest) = (0L, (DateTime?)null);
            foreach (var task in _backlog)
            {
                if (includes(_route(task)))
                {
                    count++;
                    var since = _backlogSince.GetValueOrDefault(task, now);
                    oldest = oldest is { } o && o <= since ? o : since;
                }
            }
            var (added, dispatched) = (0, 0);
            foreach (var (_, version, wasDispatched) in _recent)
            {
                if (!includes(version))
                {
                    continue;
                }
                if (wasDispatched)
                {
                    dispatched++;
                }
                else
                {
                    added++;
                }
            }
            return new TaskQueueStats
            {
                ApproximateBacklogCount = count,
                ApproximateBacklogAge = Duration.FromTimeSpan(oldest is { } first ? now - first : TimeSpan.Zero),
                TasksAddRate = (float)(added / RateWindow.TotalSeconds),
                TasksDispatchRate = (float)(dispatched / RateWindow.TotalSeconds),
            };
        }
    }

    private void TakeFromBacklog(LinkedListNode<TTask> node)
    {
        _backlog.Remove(node);
        _backlogSince.Remove(node.Value);
        Count(DateTime.UtcNow, _route(node.Value), dispatched: true);
    }

    private void Count(DateTime now, WorkerVersion? version, bool dispatched)
    {
        Trim(now);
        _recent.Enqueue((now, version, dispatched));
    }

    private void Trim(DateTime now)
    {
        while (_recent.TryPeek(out var oldest) && now - oldest.At > RateWindow)
        {
            _recent.Dequeue();
        }
    }

    /// <summary>A waiting long poll; it completes with the task handed to it, or null when it should answer empty.</summary>
    internal sealed class Poller(string identity, TaskQueue<TTask, TResponse> queue, WorkerVersion? version, bool anyVersion)
    {
        public string Identity { get; } = identity;

        /// <summary>Whether a task routed to <paramref name="target"/> may go to this poll.</summary>
        public bool Accepts(WorkerVersion? target) => anyVersion || target == version;

        public TaskQueue<TTask, TResponse> Queue { get; } = queue;

        public LinkedListNode<Poller>? Node { get; set; }

        public TaskCompletionSource<TTask?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
