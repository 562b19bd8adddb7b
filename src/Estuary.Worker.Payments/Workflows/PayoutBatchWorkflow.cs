using System.Text.Json.Serialization;
using Estuary.Temporal.Schedules;
using Estuary.Temporal.Workflows;
using Estuary.Worker.Payments.Activities;
using Temporalio.Client.Schedules;
using Temporalio.Common;
using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.Worker.Payments.Workflows;

/// <summary>One payout of a batch.</summary>
/// <param name="ItemId">Identifies the item within its batch; unique in the batch.</param>
/// <param name="Payee">Who is paid (a practitioner's reference).</param>
/// <param name="AmountMinor">The amount in the currency's minor unit; positive.</param>
/// <param name="Currency">The ISO 4217 currency code.</param>
public sealed record PayoutItem(string ItemId, string Payee, long AmountMinor, string Currency);

/// <summary>How one payout of a batch ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PayoutStatus>))]
public enum PayoutStatus
{
    /// <summary>Paid.</summary>
    Paid,

    /// <summary>Not paid: declined by the provider, or still failing after every retry.</summary>
    Failed,
}

/// <summary>The outcome of one payout.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Status">How it ended.</param>
/// <param name="PayoutId">The provider's payout, when paid.</param>
/// <param name="Error">Why it failed, when it did.</param>
public sealed record PayoutItemOutcome(string ItemId, PayoutStatus Status, long? PayoutId, string? Error);

/// <summary>A batch of payouts, and how far it got (carried from one run to the next by continue-as-new).</summary>
/// <param name="BatchId">Identifies the batch; with an item id, the payout's idempotency key, so no item is paid twice
/// even by another workflow paying the same batch.</param>
/// <param name="Items">The payouts.</param>
/// <param name="MaxParallelism">How many payouts may be in flight at once (1 to 100).</param>
/// <param name="ItemsPerRun">How many items one run pays before continuing as new, to keep its history small (1 to 1,000).</param>
/// <param name="Outcomes">The outcomes of the items paid by earlier runs, in item order; empty at the start.</param>
/// <param name="Run">The run number, from 1.</param>
/// <param name="Recorded">
/// When set, the batch pays out the payments recorded in this window instead of <paramref name="Items"/> (which must then
/// be empty): one item per payment that names a payee (<c>payment-{id}</c>). Its ends, when left out, are the last
/// completed batch's end (<see cref="PayoutBatchResult.Recorded"/>, handed on by the schedule) and the run's scheduled
/// time (its start when not scheduled).
/// </param>
public sealed record PayoutBatchInput(
    string BatchId,
    IReadOnlyList<PayoutItem> Items,
    int MaxParallelism = 10,
    int ItemsPerRun = 200,
    IReadOnlyList<PayoutItemOutcome>? Outcomes = null,
    int Run = 1,
    RecordedPaymentsWindow? Recorded = null);

/// <summary>Which recorded payments a batch pays out: those recorded after <paramref name="After"/>, up to and including
/// <paramref name="Until"/>.</summary>
/// <param name="After">The start, excluded: the last completed batch's <paramref name="Until"/> when left out, or, before
/// any batch completed, the beginning.</param>
/// <param name="Until">The end, included: the run's scheduled time when left out.</param>
public sealed record RecordedPaymentsWindow(DateTimeOffset? After = null, DateTimeOffset? Until = null);

/// <summary>What a batch did.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Paid">How many items were paid.</param>
/// <param name="Failed">How many items failed.</param>
/// <param name="PaidAmountMinor">The total paid, in minor units.</param>
/// <param name="Runs">How many runs the batch took (continue-as-new).</param>
/// <param name="Outcomes">Every item's outcome, in item order.</param>
/// <param name="Recorded">The window of recorded payments the batch paid out, both ends set, when it paid recorded
/// payments: the next scheduled batch starts where this one ended.</param>
public sealed record PayoutBatchResult(
    string BatchId, int Paid, int Failed, long PaidAmountMinor, int Runs, IReadOnlyList<PayoutItemOutcome> Outcomes, RecordedPaymentsWindow? Recorded = null);

/// <summary>How far a batch has got, across every run so far (the answer of the <c>Progress</c> query).</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Run">The run answering, from 1.</param>
/// <param name="Total">How many items the batch has.</param>
/// <param name="Paid">How many items are paid, by this run or earlier ones.</param>
/// <param name="Failed">How many items failed, in this run or earlier ones.</param>
/// <param name="InFlight">How many payouts this run has in flight.</param>
public sealed record PayoutBatchProgress(string BatchId, int Run, int Total, int Paid, int Failed, int InFlight)
{
    /// <summary>Gets how many items have an outcome (paid or failed).</summary>
    public int Done => Paid + Failed;
}

/// <summary>
/// Pays many practitioners: at most <see cref="PayoutBatchInput.MaxParallelism"/> payouts in flight, each item's outcome
/// recorded (a failed item does not fail the batch), idempotency key <c>{batch}/{item}</c> per payout (unique in the
/// provider's ledger, so never a duplicate payout, across retries, worker restarts and runs), and continue-as-new every
/// <see cref="PayoutBatchInput.ItemsPerRun"/> items with the outcomes so far carried in the input. Every night at 02:00
/// UTC its schedule pays out the payments recorded since the last completed night (<see cref="PayoutBatchInput.Recorded"/>).
/// </summary>
[Workflow]
public sealed class PayoutBatchWorkflow : EstuaryWorkflow, IScheduledWorkflow
{
    /// <summary>The error type of a batch that cannot be paid as given; the workflow fails without paying anything.</summary>
    public const string InvalidBatch = "InvalidBatch";

    /// <summary>The id of the nightly schedule.</summary>
    public const string NightlyScheduleId = "payments-nightly-payouts";

    /// <summary>The batch id of the nightly batches: with <c>payment-{id}</c>, the payout's idempotency key, so a recorded
    /// payment is paid out at most once, whichever night (or hand-started batch of that id) pays it.</summary>
    public const string NightlyBatchId = "nightly";

    // Set by Temporal on the workflows a schedule starts.
    private static readonly SearchAttributeKey<DateTimeOffset> ScheduledStartTime = SearchAttributeKey.CreateDateTimeOffset("TemporalScheduledStartTime");

    private PayoutBatchInput _input;
    private readonly Dictionary<string, PayoutItemOutcome> _done = new(StringComparer.Ordinal);
    private readonly List<Task<PayoutItemOutcome>> _inFlight = [];

    /// <summary>Initializes a new instance of the <see cref="PayoutBatchWorkflow"/> class, so the progress query can
    /// answer from the run's first task on.</summary>
    /// <param name="input">The batch and its progress.</param>
    [WorkflowInit]
    public PayoutBatchWorkflow(PayoutBatchInput input) => _input = input;

    /// <summary>Gets the input of the nightly batches: the recorded payments, from where the last completed night ended
    /// to the night's scheduled time.</summary>
    public static PayoutBatchInput NightlyInput { get; } = new(NightlyBatchId, [], Recorded: new RecordedPaymentsWindow());

    /// <summary>
    /// Gets the workflow's schedule: every day at 02:00 UTC, the payments recorded since the last completed night. A night
    /// still running at the next is not overlapped (the next is skipped; the one after pays both days); nights missed
    /// while Temporal was unreachable are caught up for a day, each paying from where the last completed one ended.
    /// </summary>
    public static IReadOnlyList<EstuarySchedule> Schedules =>
    [
        EstuarySchedule.Create(
            NightlyScheduleId,
            (PayoutBatchWorkflow wf) => wf.RunAsync(NightlyInput),
            new ScheduleSpec { Calendars = [new ScheduleCalendarSpec { Hour = [new ScheduleRange(2)], Minute = [new ScheduleRange(0)], Second = [new ScheduleRange(0)] }] })
        with
        {
            WorkflowId = "payouts-nightly",
            Policy = new SchedulePolicy { Overlap = Temporalio.Api.Enums.V1.ScheduleOverlapPolicy.Skip, CatchupWindow = TimeSpan.FromDays(1) },
            Description = "pays out the payments recorded since the last completed night",
        },
    ];

    /// <summary>Gets how far the batch has got: the outcomes carried from earlier runs plus this run's.</summary>
    [WorkflowQuery]
    public PayoutBatchProgress Progress
    {
        get
        {
            var outcomes = (_input.Outcomes ?? []).Concat(_done.Values).ToList();
            var paid = outcomes.Count(o => o.Status == PayoutStatus.Paid);
            return new PayoutBatchProgress(_input.BatchId, _input.Run, _input.Items.Count, paid, outcomes.Count - paid, _inFlight.Count);
        }
    }

    /// <summary>Runs the workflow (one run: one chunk of items).</summary>
    /// <param name="input">The batch and its progress.</param>
    /// <returns>What the batch did, from the last run.</returns>
    [WorkflowRun]
    public async Task<PayoutBatchResult> RunAsync(PayoutBatchInput input)
    {
        Validate(input);
        if (input.Recorded is { } window && input.Run == 1)
        {
            // The window's ends are fixed here and carried by continue-as-new, so every run pays the same items.
            var recorded = new RecordedPaymentsWindow(window.After ?? LastCompletedWindow()?.Until, window.Until ?? ScheduledTime());
            var items = await ExecuteActivityAsync((PaymentActivities a) => a.ListRecordedPayoutsAsync(new RecordedPaymentsInput(recorded.After, recorded.Until!.Value)));
            input = input with { Items = items, Recorded = recorded };
            _input = input;
        }

        var outcomes = new List<PayoutItemOutcome>(input.Outcomes ?? []);
        var chunk = input.Items.Skip(outcomes.Count).Take(input.ItemsPerRun).ToList();
        foreach (var item in chunk)
        {
            if (_inFlight.Count == input.MaxParallelism)
            {
                await CollectOneAsync();
            }

            _inFlight.Add(PayAsync(input.BatchId, item));
        }

        while (_inFlight.Count > 0)
        {
            await CollectOneAsync();
        }

        outcomes.AddRange(chunk.Select(item => _done[item.ItemId]));
        if (outcomes.Count < input.Items.Count)
        {
            var next = input with { Outcomes = outcomes, Run = input.Run + 1 };
            throw Workflow.CreateContinueAsNewException((PayoutBatchWorkflow wf) => wf.RunAsync(next));
        }

        var paid = outcomes.Where(o => o.Status == PayoutStatus.Paid).Select(o => o.ItemId).ToHashSet(StringComparer.Ordinal);
        return new PayoutBatchResult(
            input.BatchId,
            paid.Count,
            outcomes.Count - paid.Count,
            input.Items.Where(i => paid.Contains(i.ItemId)).Sum(i => i.AmountMinor),
            input.Run,
            outcomes,
            input.Recorded);
    }

    // The window the last completed run of this workflow's schedule (or cron) paid, when it paid recorded payments.
    private static RecordedPaymentsWindow? LastCompletedWindow() =>
        Workflow.Info.LastResult is { Count: > 0 } last
            ? Workflow.PayloadConverter.ToValue<PayoutBatchResult>(last.First().Payload).Recorded
            : null;

    private static DateTimeOffset ScheduledTime() =>
        Workflow.TypedSearchAttributes.TryGetValue(ScheduledStartTime, out var scheduled) ? scheduled : Workflow.UtcNow;

    private async Task CollectOneAsync()
    {
        var finished = await Workflow.WhenAnyAsync(_inFlight);
        _inFlight.Remove(finished);
        var outcome = await finished;
        _done[outcome.ItemId] = outcome;
    }

    private async Task<PayoutItemOutcome> PayAsync(string batchId, PayoutItem item)
    {
        try
        {
            var payout = await ExecuteActivityAsync((ProviderActivities a) =>
                a.PayoutAsync(new PayoutInput($"{batchId}/{item.ItemId}", item.Payee, item.AmountMinor, item.Currency)));
            return new PayoutItemOutcome(item.ItemId, PayoutStatus.Paid, payout.OperationId, null);
        }
        catch (ActivityFailureException e)
        {
            // One item's failure is its outcome, not the batch's.
            return new PayoutItemOutcome(item.ItemId, PayoutStatus.Failed, null, e.InnerException?.Message ?? e.Message);
        }
    }

    private static void Validate(PayoutBatchInput input)
    {
        string? error = input switch
        {
            { BatchId: null or "" } or { BatchId.Length: > 100 } => "A batch id must have 1 to 100 characters",
            { MaxParallelism: < 1 or > 100 } => $"MaxParallelism must be 1 to 100, got {input.MaxParallelism}",
            { ItemsPerRun: < 1 or > 1000 } => $"ItemsPerRun must be 1 to 1000, got {input.ItemsPerRun}",
            _ when input.Items.Select(i => i.ItemId).Distinct(StringComparer.Ordinal).Count() != input.Items.Count => "Item ids must be unique within a batch",
            { Recorded: { }, Run: 1, Items.Count: > 0 } => "A batch pays either the items it is given or the recorded payments, not both",
            { Recorded: { After: { } after, Until: { } until } } when until <= after => $"The recorded payments' window must end after it starts, got {after:O} to {until:O}",
            _ => null,
        };
        if (error is not null)
        {
            throw new ApplicationFailureException(error, errorType: InvalidBatch, nonRetryable: true);
        }
    }
}
