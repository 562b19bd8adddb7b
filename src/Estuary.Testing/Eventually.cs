using System.Diagnostics;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.Testing;

/// <summary>
/// How a test waits for something that happens after a call returns, without sleeping for a guessed time: on a
/// workflow's history where there is one (the server answers a history long poll as soon as an event is appended),
/// else by asking again until the answer is the expected one. Every wait gives up after <see cref="Patience"/> with a
/// message saying what never happened, so a broken run fails instead of hanging.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Gets how long a wait lasts before it fails: far more than a correct run needs on a loaded machine.</summary>
    public static TimeSpan Patience { get; } = TimeSpan.FromSeconds(60);

    /// <summary>Asks <paramref name="probe"/> again and again until its answer satisfies <paramref name="done"/>. Only
    /// for what nothing notifies of (a server's background sweep, visibility, a database written outside Temporal).</summary>
    /// <typeparam name="T">What the probe returns.</typeparam>
    /// <param name="probe">Reads the current state.</param>
    /// <param name="done">Whether the state is the one waited for.</param>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <returns>The first answer that satisfied <paramref name="done"/>.</returns>
    /// <exception cref="TimeoutException">No answer satisfied it within <see cref="Patience"/>.</exception>
    public static async Task<T> PollAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (waited.Elapsed > Patience)
            {
                throw new TimeoutException($"{what}: not within {Patience.TotalSeconds:0} s; last seen: {value}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Long-polls a workflow run's history until the events so far satisfy <paramref name="done"/>.</summary>
    /// <param name="handle">The workflow; without a run id, its latest run.</param>
    /// <param name="done">Whether the history so far (from its first event) is the one waited for.</param>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <returns>The history up to the page that satisfied <paramref name="done"/>.</returns>
    /// <exception cref="InvalidOperationException">The run closed before that.</exception>
    /// <exception cref="TimeoutException"><see cref="Patience"/> passed before that.</exception>
    public static async Task<IReadOnlyList<HistoryEvent>> WaitForHistoryAsync(
        this WorkflowHandle handle, Func<IReadOnlyList<HistoryEvent>, bool> done, string what)
    {
        var events = new List<HistoryEvent>();
        using var patience = new CancellationTokenSource(Patience);
        var request = HistoryRequest(handle);
        try
        {
            while (true)
            {
                var page = await handle.Client.WorkflowService.GetWorkflowExecutionHistoryAsync(request, new() { CancellationToken = patience.Token });
                events.AddRange(page.History.Events);
                if (done(events))
                {
                    return events;
                }

                if (page.NextPageToken.IsEmpty)
                {
                    throw new InvalidOperationException($"{what}: the run of {handle.Id} closed first; history: {Describe(events)}");
                }

                request.NextPageToken = page.NextPageToken;
            }
        }
        catch (Exception e) when (IsCancellation(e) && patience.IsCancellationRequested)
        {
            throw new TimeoutException($"{what}: not within {Patience.TotalSeconds:0} s; history of {handle.Id}: {Describe(events)}", e);
        }
    }

    /// <summary>Waits until <paramref name="probe"/> (a query, database rows the workflow's activities write…) satisfies
    /// <paramref name="done"/>, asking again each time the workflow's history grows: what a workflow does shows in its
    /// history first, so nothing is asked in vain. A handle without run id follows the workflow across continue-as-new.</summary>
    /// <typeparam name="T">What the probe returns.</typeparam>
    /// <param name="handle">The workflow whose progress changes the answer.</param>
    /// <param name="probe">Reads the current state.</param>
    /// <param name="done">Whether the state is the one waited for.</param>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <returns>The first answer that satisfied <paramref name="done"/>.</returns>
    /// <exception cref="InvalidOperationException">The workflow closed before that.</exception>
    /// <exception cref="TimeoutException"><see cref="Patience"/> passed before that.</exception>
    public static async Task<T> WaitUntilAsync<T>(this WorkflowHandle handle, Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var value = await probe();
        using var patience = new CancellationTokenSource(Patience);
        var request = HistoryRequest(handle);
        HistoryEvent? last = null;
        try
        {
            while (!done(value))
            {
                var page = await handle.Client.WorkflowService.GetWorkflowExecutionHistoryAsync(request, new() { CancellationToken = patience.Token });
                last = page.History.Events.LastOrDefault() ?? last;
                value = await probe();
                if (done(value))
                {
                    break;
                }

                if (!page.NextPageToken.IsEmpty)
                {
                    request.NextPageToken = page.NextPageToken;
                }
                else if (handle.RunId is null && last?.EventType == EventType.WorkflowExecutionContinuedAsNew)
                {
                    request = HistoryRequest(handle);
                    last = null;
                }
                else
                {
                    throw new InvalidOperationException($"{what}: {handle.Id} closed first; last seen: {value}");
                }
            }

            return value;
        }
        catch (Exception e) when (IsCancellation(e) && patience.IsCancellationRequested)
        {
            throw new TimeoutException($"{what}: not within {Patience.TotalSeconds:0} s; last seen: {value}", e);
        }
    }

    private static GetWorkflowExecutionHistoryRequest HistoryRequest(WorkflowHandle handle) => new()
    {
        Namespace = handle.Client.Options.Namespace,
        Execution = new() { WorkflowId = handle.Id, RunId = handle.RunId ?? string.Empty },
        WaitNewEvent = true,
    };

    private static bool IsCancellation(Exception e) =>
        e is OperationCanceledException || e is RpcException { Code: RpcException.StatusCode.Cancelled };

    private static string Describe(List<HistoryEvent> events) => string.Join(", ", events.Select(e => $"{e.EventId}:{e.EventType}"));
}
