using Estuary.DevServer.Runs;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Visibility;

/// <summary>
/// The runs a namespace holds, kept in the default list order (<see cref="RunPosition"/>) and counted by status as
/// they start, close and are dropped, so a page of the default order costs the page rather than a pass over every run,
/// and counting runs (all of them, or by status) costs nothing per run.
/// </summary>
/// <remarks>
/// Changes come from the run's owner under the run's lock; the index's own lock is taken inside it and held only for
/// the change, or while a reader copies a batch of runs, so readers never hold it while they take a run's lock.
/// </remarks>
internal sealed class VisibilityIndex
{
    private const int FirstBatch = 64;
    private const int LargestBatch = 1024;

    private readonly object _lock = new();
    private readonly SortedSet<Entry> _order = new(Comparer<Entry>.Create((x, y) => x.Position.CompareTo(y.Position)));
    private readonly long[] _byStatus = new long[Enum.GetValues<WorkflowExecutionStatus>().Max(status => (int)status) + 1];

    private readonly record struct Entry(RunPosition Position, WorkflowRun? Run);

    /// <summary>How many runs the namespace holds.</summary>
    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _order.Count;
            }
        }
    }

    /// <summary>How many runs the namespace holds in each status that has any, in status order.</summary>
    public List<(WorkflowExecutionStatus Status, long Count)> CountByStatus()
    {
        lock (_lock)
        {
            var counts = new List<(WorkflowExecutionStatus, long)>();
            for (var status = 0; status < _byStatus.Length; status++)
            {
                if (_byStatus[status] > 0)
                {
                    counts.Add(((WorkflowExecutionStatus)status, _byStatus[status]));
                }
            }
            return counts;
        }
    }

    /// <summary>A run the namespace now holds (a new run, or one read back from the store, open or closed).</summary>
    public void Add(WorkflowRun run)
    {
        var position = PositionOf(run);
        lock (_lock)
        {
            if (_order.Add(new Entry(position, run)))
            {
                _byStatus[(int)run.Status]++;
            }
        }
    }

    /// <summary><paramref name="run"/> has just closed: it moves from the open runs to its close time.</summary>
    public void Closed(WorkflowRun run)
    {
        var open = new Entry(new RunPosition(DateTime.MaxValue, run.StartTime, run.RunId), null);
        var closed = PositionOf(run);
        lock (_lock)
        {
            if (_order.Remove(open))
            {
                _byStatus[(int)WorkflowExecutionStatus.Running]--;
                _order.Add(new Entry(closed, run));
                _byStatus[(int)run.Status]++;
            }
        }
    }

    /// <summary>The namespace no longer holds <paramref name="run"/>.</summary>
    public void Remove(WorkflowRun run)
    {
        var position = PositionOf(run);
        lock (_lock)
        {
            if (_order.Remove(new Entry(position, null)))
            {
                _byStatus[(int)run.Status]--;
            }
        }
    }

    /// <summary>
    /// The runs after <paramref name="after"/> (null: from the first) in the default order, with their positions,
    /// read in batches as the caller goes on: a run that moves meanwhile is seen where it was when its batch was read.
    /// </summary>
    public IEnumerable<(RunPosition Position, WorkflowRun Run)> After(RunPosition? after)
    {
        var batch = FirstBatch;
        while (true)
        {
            var runs = ReadBatch(after, batch);
            foreach (var run in runs)
            {
                yield return run;
            }
            if (runs.Count < batch)
            {
                yield break;
            }
            after = runs[^1].Position;
            batch = Math.Min(batch * 2, LargestBatch);
        }
    }

    private List<(RunPosition Position, WorkflowRun Run)> ReadBatch(RunPosition? after, int count)
    {
        var runs = new List<(RunPosition, WorkflowRun)>(count);
        lock (_lock)
        {
            if (_order.Count == 0)
            {
                return runs;
            }
            var last = _order.Max;
            IEnumerable<Entry> from;
            if (after is not { } start)
            {
                from = _order;
            }
            else if (start.CompareTo(last.Position) >= 0)
            {
                return runs;
            }
            else
            {
                from = _order.GetViewBetween(new Entry(start, null), last);
            }
            foreach (var entry in from)
            {
                if (after is { } exclusive && entry.Position.CompareTo(exclusive) == 0)
                {
                    continue;
                }
                runs.Add((entry.Position, entry.Run!));
                if (runs.Count == count)
                {
                    break;
                }
            }
        }
        return runs;
    }

    private static RunPosition PositionOf(WorkflowRun run) => new(run.CloseTime ?? DateTime.MaxValue, run.StartTime, run.RunId);
}
