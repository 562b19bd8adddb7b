namespace Estuary.DevServer.TaskQueues;

/// <summary>
/// One task queue (workflow or activity) of one namespace: a backlog of tasks plus the long polls waiting
/// for them. All members are called with the engine gate held; a poll's completion source runs its
/// continuation asynchronously so nothing runs inside the gate.
/// </summary>
/// <typeparam name="TTask">What sits in the backlog (a workflow execution or an activity).</typeparam>
/// <typeparam name="TResponse">What a poll answers.</typeparam>
internal sealed class TaskQueue<TTask, TResponse>
    where TTask : class
    where TResponse : class
{
    private readonly Queue<TTask> _backlog = new();
    private readonly LinkedList<Poller> _pollers = new();
    private readonly Func<TTask, string, TResponse?> _start;

    /// <param name="name">Queue name.</param>
    /// <param name="start">Turns a backlog entry into a poll answer, or returns null when the entry went stale.</param>
    public TaskQueue(string name, Func<TTask, string, TResponse?> start)
    {
        Name = name;
        _start = start;
    }

    public string Name { get; }

    /// <summary>Nothing waiting on either side: the queue can be dropped and recreated on next use.</summary>
    public bool IsIdle => _backlog.Count == 0 && _pollers.Count == 0;

    public int BacklogCount => _backlog.Count;

    public int PollerCount => _pollers.Count;

    public DateTime LastPollTime { get; private set; }

    /// <summary>Hands the task to a waiting poll, or keeps it in the backlog.</summary>
    public void Add(TTask task)
    {
        if (_pollers.First is { } node)
        {
            var response = _start(task, node.Value.Identity);
            if (response is not null)
            {
                _pollers.RemoveFirst();
                node.Value.Completion.TrySetResult(response);
            }
            return;
        }
        _backlog.Enqueue(task);
    }

    /// <summary>Takes the first live task from the backlog, or registers a poll that waits for one.</summary>
    public TResponse? TakeOrWait(string identity, DateTime now, out Poller? poller)
    {
        LastPollTime = now;
        while (_backlog.TryDequeue(out var task))
        {
            var response = _start(task, identity);
            if (response is not null)
            {
                poller = null;
                return response;
            }
        }
        poller = new Poller(identity, this);
        poller.Node = _pollers.AddLast(poller);
        return null;
    }

    /// <summary>Removes a poll that gave up; returns false if a task was already handed to it.</summary>
    public bool Remove(Poller poller)
    {
        if (poller.Node?.List is null)
        {
            return false;
        }
        _pollers.Remove(poller.Node);
        return true;
    }

    /// <summary>Empties the backlog (e.g. a sticky queue whose worker shut down) and answers every poll empty.</summary>
    public List<TTask> Drain()
    {
        var tasks = _backlog.ToList();
        _backlog.Clear();
        while (_pollers.First is { } node)
        {
            _pollers.RemoveFirst();
            node.Value.Completion.TrySetResult(null);
        }
        return tasks;
    }

    /// <summary>A waiting long poll.</summary>
    internal sealed class Poller(string identity, TaskQueue<TTask, TResponse> queue)
    {
        public string Identity { get; } = identity;

        public TaskQueue<TTask, TResponse> Queue { get; } = queue;

        public LinkedListNode<Poller>? Node { get; set; }

        public TaskCompletionSource<TResponse?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
