using Estuary.DevServer.Grpc;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>TestService: time skipping control, as Temporal's test server offers it (the skipping itself is the clock's).</summary>
internal sealed class TimeSkippingOperations(DevServerEngine engine)
{
    private void RequireTimeSkipping()
    {
        if (!engine.Clock.TimeSkippingSupported)
        {
            throw RpcErrors.Unimplemented("Time skipping is off: start the Estuary dev server in test-server mode (TimeSkipping) to use TestService.");
        }
    }

    public DateTime CurrentTime() => engine.Clock.UtcNow;

    public void LockTimeSkipping()
    {
        RequireTimeSkipping();
        engine.Clock.LockSkipping();
    }

    public void UnlockTimeSkipping()
    {
        RequireTimeSkipping();
        engine.Clock.UnlockSkipping();
    }

    /// <summary>Waits until server time reaches <paramref name="until"/>; with skipping unlocked and nothing outstanding that is immediate.</summary>
    public async Task SleepUntilAsync(DateTime until, bool unlockWhileSleeping, CancellationToken cancellationToken)
    {
        RequireTimeSkipping();
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.Clock.Schedule(until, () => reached.TrySetResult());
        if (unlockWhileSleeping)
        {
            engine.Clock.UnlockSkipping();
        }
        try
        {
            await reached.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            if (unlockWhileSleeping)
            {
                engine.Clock.LockSkipping();
            }
        }
    }
}
