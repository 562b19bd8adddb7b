using Temporalio.Activities;
using Temporalio.Converters;
using Temporalio.Worker.Interceptors;

namespace Estuary.Temporal.Activities;

/// <summary>
/// Heartbeats every running activity whose caller set a heartbeat timeout (Estuary's activity defaults do, see
/// <see cref="Configuration.ActivityDefaultsOptions.HeartbeatTimeout"/>), a third of that timeout apart, for as long as
/// the activity runs. A worker that dies stops heartbeating, so Temporal retries the attempt on another worker once the
/// heartbeat timeout passes instead of waiting out the start-to-close timeout; the SDK throttles what reaches the server.
/// </summary>
/// <remarks>
/// The heartbeats say that the worker is alive, not that the activity progresses: an activity stuck on a live worker is
/// still ended by its start-to-close timeout. An activity that records its own progress
/// (<c>ActivityExecutionContext.Current.Heartbeat(details)</c>) keeps it: every automatic heartbeat repeats the latest
/// details, those of the previous attempt until the activity sends its own, so a retry still finds where it stopped.
/// Heartbeats stop when the activity's cancellation token fires (cancel, timeout, or the end of a worker's graceful
/// shutdown), so an activity that ignores its cancellation is timed out as if its worker had died.
/// </remarks>
public sealed class HeartbeatInterceptor : IWorkerInterceptor
{
    /// <inheritdoc />
    public ActivityInboundInterceptor InterceptActivity(ActivityInboundInterceptor nextInterceptor) =>
        new Inbound(nextInterceptor);

    // One instance per activity execution: the SDK builds the interceptor chain for each one.
    private sealed class Inbound(ActivityInboundInterceptor next) : ActivityInboundInterceptor(next)
    {
        private Outbound? _outbound;

        public override void Init(ActivityOutboundInterceptor outbound)
        {
            _outbound = new Outbound(outbound);
            base.Init(_outbound);
        }

        public override async Task<object?> ExecuteActivityAsync(ExecuteActivityInput input)
        {
            var context = ActivityExecutionContext.Current;
            if (_outbound is null || context.Info.IsLocal || context.Info.HeartbeatTimeout is not { } timeout || timeout <= TimeSpan.Zero)
            {
                return await base.ExecuteActivityAsync(input);
            }

            _outbound.Latest = await PreviousDetailsAsync(context.Info);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            var heartbeats = HeartbeatAsync(_outbound, timeout / 3, stop.Token);
            try
            {
                return await base.ExecuteActivityAsync(input);
            }
            finally
            {
                await stop.CancelAsync();
                await heartbeats;
            }
        }

        private static async Task HeartbeatAsync(Outbound outbound, TimeSpan interval, CancellationToken stop)
        {
            using var timer = new PeriodicTimer(interval);
            try
            {
                while (await timer.WaitForNextTickAsync(stop))
                {
                    outbound.Repeat();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The activity ended or was cancelled: no more heartbeats.
            }
        }

        // The previous attempt's last details, as the activity's own heartbeat would send them again: decoded, not converted.
        private static async Task<object?[]> PreviousDetailsAsync(ActivityInfo info)
        {
            if (info.HeartbeatDetails.Count == 0)
            {
                return [];
            }

            var payloads = info.DataConverter.PayloadCodec is { } codec
                ? await codec.DecodeAsync(info.HeartbeatDetails)
                : info.HeartbeatDetails;
            return [.. payloads.Select(payload => (object?)new RawValue(payload))];
        }
    }

    // Remembers the details of the activity's own heartbeats, so the automatic ones repeat them.
    private sealed class Outbound(ActivityOutboundInterceptor next) : ActivityOutboundInterceptor(next)
    {
        private object?[] _latest = [];

        public object?[] Latest
        {
            set => Volatile.Write(ref _latest, value);
        }

        public override void Heartbeat(HeartbeatInput input)
        {
            Volatile.Write(ref _latest, input.Details);
            base.Heartbeat(input);
        }

        public void Repeat() => base.Heartbeat(new HeartbeatInput(Volatile.Read(ref _latest)));
    }
}
