using Estuary.DevServer.Time;
using Microsoft.Extensions.Logging.Abstractions;

namespace Estuary.DevServer.Tests.Time;

public sealed class DevClockTests
{
    [Fact]
    public async Task Skip_DuringAUnitOfChange_WaitsForItsEndAndFiresTheEarlierTimerFirst()
    {
        await using var clock = new DevClock(TimeProvider.System, timeSkipping: true, startLocked: false, NullLogger.Instance);
        clock.Start();
        var start = clock.UtcNow;
        var fired = new List<string>();
        var bothFired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Record(string name)
        {
            lock (fired)
            {
                fired.Add(name);
                if (fired.Count == 2)
                {
                    bothFired.SetResult();
                }
            }
        }

        // A unit arms a run's deadline, then (after a pause that gives the clock loop every chance to skip) its
        // earlier start backoff, as a cron run's Begin does.
        clock.EnterChange();
        clock.Schedule(start + TimeSpan.FromMinutes(210), () => Record("deadline"));
        await Task.Delay(200, TestContext.Current.CancellationToken);
        clock.Schedule(start + TimeSpan.FromMinutes(180), () => Record("backoff"));
        lock (fired)
        {
            Assert.Empty(fired);
        }
        clock.ExitChange();

        await bothFired.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(["backoff", "deadline"], fired);
        Assert.True(clock.UtcNow >= start + TimeSpan.FromMinutes(210));
    }
}
