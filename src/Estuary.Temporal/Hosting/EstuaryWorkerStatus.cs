namespace Estuary.Temporal.Hosting;

/// <summary>
/// How a worker process's start went, registered by <c>AddEstuaryWorker</c>: the served domains' databases answered,
/// their migrations were applied and Temporal answered, so the workers poll; or the start gave up.
/// </summary>
public sealed class EstuaryWorkerStatus
{
    /// <summary>The log category of the start-up's records (what it waits for, what it polls, why it gave up).</summary>
    public const string LogCategory = "Estuary.Temporal.Hosting.WorkerStartup";

    private readonly TaskCompletionSource<bool> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task completing with <c>true</c> once the workers poll, with <c>false</c> when the start gave up
    /// (<see cref="Failure"/> says why) or the host stopped first.</summary>
    public Task<bool> Started => _started.Task;

    /// <summary>Gets why the start gave up, in one line naming what was unreachable, or <c>null</c>.</summary>
    public string? Failure { get; private set; }

    /// <summary>Gets what the workers poll, in one line (domains, task queues, Temporal address and namespace), once they do.</summary>
    public string? Polling { get; private set; }

    internal void Succeed(string polling)
    {
        Polling = polling;
        _started.TrySetResult(true);
    }

    internal void Fail(string failure)
    {
        Failure = failure;
        _started.TrySetResult(false);
    }

    internal void Abandon() => _started.TrySetResult(false);
}
