using Estuary.DevServer.Grpc;
using Estuary.DevServer.State;
using Estuary.DevServer.Time;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;

namespace Estuary.DevServer.Engine;

/// <summary>
/// Cron workflows: a run that completes, fails or times out (after its retries) starts the next run, with a
/// first workflow task backoff up to the next scheduled time; termination and cancellation end the chain, and
/// the workflow execution timeout bounds all of it.
/// </summary>
internal sealed partial class DevServerEngine
{
    /// <summary>Parses a request's cron schedule; an invalid one answers InvalidArgument naming the problem.</summary>
    private static CronSchedule ParseCron(string spec)
    {
        try
        {
            return CronSchedule.Parse(spec);
        }
        catch (FormatException e)
        {
            throw RpcErrors.InvalidArgument($"Invalid CronSchedule '{spec}': {e.Message}.");
        }
    }

    /// <summary>Why a cron schedule carried by a command is invalid (Temporal's wording), or null when it is empty or valid.</summary>
    private static string? InvalidCronSchedule(string spec)
    {
        if (string.IsNullOrEmpty(spec))
        {
            return null;
        }
        try
        {
            CronSchedule.Parse(spec);
            return null;
        }
        catch (FormatException e)
        {
            return $"Invalid CronSchedule '{spec}': {e.Message}.";
        }
    }

    /// <summary>Time from <paramref name="now"/> to the schedule's next time (zero when it has none).</summary>
    private static TimeSpan CronBackoff(CronSchedule schedule, DateTime now) =>
        schedule.Next(now) is { } next ? next - now : TimeSpan.Zero;

    /// <summary>
    /// The run id for the next run of a cron workflow closing now, or null when the run is not a cron run, the
    /// execution timeout has passed or the next scheduled time falls after it.
    /// </summary>
    private string? NextCronRunId(WorkflowRun run)
    {
        if (string.IsNullOrEmpty(run.Started.CronSchedule))
        {
            return null;
        }
        var now = Clock.UtcNow;
        var next = CronSchedule.Parse(run.Started.CronSchedule).Next(now);
        if (next is null)
        {
            return null;
        }
        if (run.Started.WorkflowExecutionExpirationTime?.ToDateTime() is { } expiration && next.Value >= expiration)
        {
            return null;
        }
        return Guid.NewGuid().ToString();
    }

    /// <summary>Starts the next run of a cron chain (no-op when <paramref name="runId"/> is null), waiting until the next scheduled time.</summary>
    private void StartCronRun(WorkflowRun previous, string? runId, Payloads? completionResult, Failure? failure)
    {
        if (runId is null)
        {
            return;
        }
        var backoff = CronBackoff(CronSchedule.Parse(previous.Started.CronSchedule), Clock.UtcNow);

        // A failed run hands on its failure and keeps the last successful result, as Temporal does.
        StartNextRun(
            previous, runId, ContinueAsNewInitiator.CronSchedule, attempt: 1, backoff,
            failure is null ? completionResult : previous.Started.LastCompletionResult, failure);
    }
}
