using Estuary.DevServer.Grpc;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    private void RequireTimeSkipping()
    {
        if (!Clock.TimeSkippingSupported)
        {
            throw RpcErrors.Unimplemented("Time skipping is off: start the Estuary dev server in test-server mode (TimeSkipping) to use TestService.");
        }
    }

    public DateTime CurrentTime()
    {
        lock (_gate)
        {
            return Clock.UtcNow;
        }
    }

    public void LockTimeSkipping()
    {
        RequireTimeSkipping();
        lock (_gate)
        {
            Clock.LockSkipping();
        }
    }

    public void UnlockTimeSkipping()
    {
        RequireTimeSkipping();
        lock (_gate)
        {
            Clock.UnlockSkipping();
        }
    }

    /// <summary>Waits until server time reaches <paramref name="until"/>; with skipping unlocked and nothing outstanding that is immediate.</summary>
    public async Task SleepUntilAsync(DateTime until, bool unlockWhileSleeping, CancellationToken cancellationToken)
    {
        RequireTimeSkipping();
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            Clock.Schedule(until, () => reached.TrySetResult());
            if (unlockWhileSleeping)
            {
                Clock.UnlockSkipping();
            }
        }
        try
        {
            await reached.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            if (unlockWhileSleeping)
            {
                lock (_gate)
                {
                    Clock.LockSkipping();
                }
            }
        }
    }
}
