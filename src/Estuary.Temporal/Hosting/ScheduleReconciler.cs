using Estuary.Temporal.Domains;
using Estuary.Temporal.Schedules;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Temporalio.Client;
using Temporalio.Client.Schedules;
using Temporalio.Exceptions;

namespace Estuary.Temporal.Hosting;

/// <summary>
/// Keeps the served domains' schedules in Temporal as their workflows declare them, once at start: creates the missing
/// ones, updates those whose declaration changed (their state — paused, notes, remaining actions — stays as an operator
/// left it), deletes the ones no longer declared, and logs each change. It owns only the schedules it created, whose memo
/// names their domain (<see cref="DomainMemo"/>); schedules made by hand or by another domain are left alone. The
/// workflows a schedule starts carry a fingerprint of the declaration in their memo (<see cref="FingerprintMemo"/>),
/// which is how a changed declaration is told from an unchanged one.
/// </summary>
/// <param name="client">The worker's Temporal client.</param>
/// <param name="domains">The served domains, each with the task queue it is served on.</param>
/// <param name="startup">The worker's start-up: the schedules are reconciled once it has reached Temporal, not at all when it gave up.</param>
/// <param name="logger">Where each change is logged.</param>
public sealed class ScheduleReconciler(
    ITemporalClient client,
    IReadOnlyList<(DomainDescriptor Domain, string TaskQueue)> domains,
    EstuaryWorkerStatus startup,
    ILogger<ScheduleReconciler> logger)
    : BackgroundService
{
    /// <summary>The memo key naming the domain that owns a schedule.</summary>
    public const string DomainMemo = "estuary.domain";

    /// <summary>The memo key of a scheduled workflow holding the fingerprint of the declaration it was started from.</summary>
    public const string FingerprintMemo = "estuary.schedule";

    private readonly TaskCompletionSource _reconciled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task that completes once the schedules are reconciled (fails as the reconciliation failed; is canceled
    /// when the worker's start-up gave up or was stopped).</summary>
    public Task Reconciled => _reconciled.Task;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Temporal is waited for, with back-off, by the start-up; a start that gave up has said why in its own line.
        if (!await startup.Started.WaitAsync(stoppingToken))
        {
            _reconciled.TrySetCanceled(CancellationToken.None);
            return;
        }

        try
        {
            await ReconcileAsync(stoppingToken);
            _reconciled.TrySetResult();
        }
        catch (Exception e)
        {
            _reconciled.TrySetException(e);
            logger.LogError(e, "Reconciling the schedules of domains {Domains} failed", string.Join(", ", domains.Select(d => d.Domain.Domain.Name)));
            throw;
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var served = domains.Select(d => d.Domain.Domain.Name).ToHashSet(StringComparer.Ordinal);
        var owned = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var listed in client.ListSchedulesAsync(new ScheduleListOptions()).WithCancellation(cancellationToken))
        {
            if (await MemoAsync(listed.Memo, DomainMemo) is { } domain && served.Contains(domain))
            {
                owned[listed.Id] = domain;
            }
        }

        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (domain, taskQueue) in domains)
        {
            foreach (var declaration in domain.Schedules)
            {
                declared.Add(declaration.Id);
                var fingerprint = declaration.Fingerprint(taskQueue);
                var schedule = declaration.ToSchedule(taskQueue, new Dictionary<string, object> { [FingerprintMemo] = fingerprint });
                if (!owned.ContainsKey(declaration.Id))
                {
                    await CreateAsync(domain.Domain.Name, declaration, schedule);
                    continue;
                }

                var handle = client.GetScheduleHandle(declaration.Id);
                var current = await handle.DescribeAsync(new RpcOptions { CancellationToken = cancellationToken });
                if (await FingerprintOfAsync(current.Schedule.Action) == fingerprint)
                {
                    logger.LogDebug("Schedule {ScheduleId} of domain {Domain} is as declared", declaration.Id, domain.Domain.Name);
                    continue;
                }

                // The state (paused, notes, remaining actions) is the operator's: a deployment does not undo a pause.
                await handle.UpdateAsync(input => new ScheduleUpdate(schedule with { State = input.Description.Schedule.State }));
                logger.LogInformation("Updated schedule {ScheduleId} of domain {Domain} to its declaration: {Workflow} {Spec}",
                    declaration.Id, domain.Domain.Name, declaration.Workflow, Describe(declaration.Spec));
            }
        }

        foreach (var (id, domain) in owned.Where(o => !declared.Contains(o.Key)))
        {
            try
            {
                await client.GetScheduleHandle(id).DeleteAsync();
                logger.LogInformation("Deleted schedule {ScheduleId} of domain {Domain}: no workflow declares it any more", id, domain);
            }
            catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
            {
                // Another worker of the domain deleted it first.
            }
        }
    }

    private async Task CreateAsync(string domain, EstuarySchedule declaration, Schedule schedule)
    {
        try
        {
            await client.CreateScheduleAsync(declaration.Id, schedule, new ScheduleOptions { Memo = new Dictionary<string, object> { [DomainMemo] = domain } });
            logger.LogInformation("Created schedule {ScheduleId} of domain {Domain}: {Workflow} {Spec}", declaration.Id, domain, declaration.Workflow, Describe(declaration.Spec));
        }
        catch (ScheduleAlreadyRunningException)
        {
            // Not listed as the domain's: made by hand, by another domain, or by another worker of the domain a moment ago.
            var description = await client.GetScheduleHandle(declaration.Id).DescribeAsync();
            if (await MemoAsync(description.Memo, DomainMemo) != domain)
            {
                logger.LogWarning("Schedule {ScheduleId} declared by domain {Domain} exists and is not the domain's; it is left as it is", declaration.Id, domain);
            }
        }
    }

    private static async Task<string?> FingerprintOfAsync(ScheduleAction action) =>
        action is ScheduleActionStartWorkflow { Options.Memo: { } memo } && memo.TryGetValue(FingerprintMemo, out var value)
            ? value switch
            {
                string text => text,
                Temporalio.Converters.IEncodedRawValue raw => await raw.ToValueAsync<string>(),
                _ => null,
            }
            : null;

    private static async Task<string?> MemoAsync(IReadOnlyDictionary<string, Temporalio.Converters.IEncodedRawValue> memo, string key)
    {
        if (!memo.TryGetValue(key, out var value))
        {
            return null;
        }

        try
        {
            return await value.ToValueAsync<string>();
        }
        catch (Exception e) when (e is InvalidOperationException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Describe(ScheduleSpec spec) =>
        string.Join("; ", new[]
        {
            spec.CronExpressions.Count > 0 ? $"cron {string.Join(", ", spec.CronExpressions)}" : null,
            spec.Calendars.Count > 0 ? $"{spec.Calendars.Count} calendar(s)" : null,
            spec.Intervals.Count > 0 ? $"every {string.Join(", ", spec.Intervals.Select(i => i.Every))}" : null,
            spec.TimeZoneName is { Length: > 0 } zone ? $"in {zone}" : null,
        }.Where(part => part is not null));
}
