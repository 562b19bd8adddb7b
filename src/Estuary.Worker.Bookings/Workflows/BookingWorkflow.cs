using Estuary.Temporal.Workflows;
using Estuary.Worker.Bookings.Activities;
using Estuary.Worker.Bookings.Data;
using Microsoft.Extensions.Logging;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.Worker.Bookings.Workflows;

/// <summary>A booking to take.</summary>
/// <param name="Reference">The booking's reference, unique across bookings.</param>
/// <param name="Client">The client's reference.</param>
/// <param name="Practitioner">The practitioner's reference.</param>
/// <param name="Service">The service booked.</param>
/// <param name="StartsAt">When the session starts; in the future.</param>
/// <param name="Duration">How long the session lasts.</param>
/// <param name="PriceMinor">The price in the currency's minor unit; positive.</param>
/// <param name="Currency">The ISO 4217 currency code.</param>
/// <param name="PaymentsTaskQueue">The task queue of the Payments worker, which takes the payment and any refund.</param>
/// <param name="FollowUpDays">For how many days after a completed session the follow-up looks for the client's review
/// (0: no follow-up).</param>
public sealed record BookingInput(
    string Reference,
    string Client,
    string Practitioner,
    string Service,
    DateTimeOffset StartsAt,
    TimeSpan Duration,
    long PriceMinor,
    string Currency,
    string PaymentsTaskQueue = PaymentsContract.DefaultTaskQueue,
    int FollowUpDays = 30);

/// <summary>A request to cancel a booking (signal <c>Cancel</c>).</summary>
/// <param name="Reason">Why.</param>
public sealed record CancelBookingRequest(string Reason);

/// <summary>A request to move a booking (signal <c>Reschedule</c>); the session keeps its duration.</summary>
/// <param name="StartsAt">The new start; in the future.</param>
public sealed record RescheduleBookingRequest(DateTimeOffset StartsAt);

/// <summary>Where a booking stands (the answer of the <c>State</c> query, and the workflow's result).</summary>
/// <param name="Reference">The booking's reference.</param>
/// <param name="BookingId">The booking id, once the slot is reserved.</param>
/// <param name="Status">The status.</param>
/// <param name="StartsAt">When the session starts.</param>
/// <param name="EndsAt">When the session ends.</param>
/// <param name="CaptureId">The payment provider's capture, once paid.</param>
/// <param name="RefundId">The payment provider's refund, once refunded.</param>
/// <param name="ReminderSentFor">The session start the last reminder was sent for, if any.</param>
/// <param name="CancellationReason">Why the booking was cancelled, when it was.</param>
/// <param name="LastRejection">Why the last cancel or reschedule request was refused, if one was.</param>
/// <param name="FollowUpWorkflowId">The follow-up workflow started after the session, if any.</param>
public sealed record BookingState(
    string Reference,
    int? BookingId,
    BookingStatus Status,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    long? CaptureId = null,
    long? RefundId = null,
    DateTimeOffset? ReminderSentFor = null,
    string? CancellationReason = null,
    string? LastRejection = null,
    string? FollowUpWorkflowId = null);

/// <summary>
/// A booking from request to session: reserve the practitioner's slot (a double booking fails at once,
/// <c>SlotUnavailable</c>), take the payment through the Payments worker (child workflow on its task queue), confirm,
/// sleep until 24 h before the session and send a reminder (once), sleep until the session ends and mark it completed
/// (or no-show), then start the follow-up. Signals <c>Cancel</c> (refund through Payments when paid) and
/// <c>Reschedule</c> are taken until the session starts; <c>ReportNoShow</c> until it ends.
/// </summary>
[Workflow]
public sealed class BookingWorkflow : EstuaryWorkflow
{
    /// <summary>How long before a session the client is reminded of it.</summary>
    public static readonly TimeSpan ReminderLead = TimeSpan.FromHours(24);

    private readonly BookingInput _input;
    private BookingState _state;
    private CancelBookingRequest? _cancel;
    private RescheduleBookingRequest? _reschedule;
    private bool _noShow;

    /// <summary>Initializes a new instance of the <see cref="BookingWorkflow"/> class, so the query answers from the
    /// first task on.</summary>
    /// <param name="input">The booking.</param>
    [WorkflowInit]
    public BookingWorkflow(BookingInput input)
    {
        _input = input;
        _state = new BookingState(input.Reference, null, BookingStatus.Requested, input.StartsAt, input.StartsAt + input.Duration);
    }

    /// <summary>Gets where the booking stands.</summary>
    [WorkflowQuery]
    public BookingState State => _state;

    private bool ChangeRequested => _cancel is not null || _reschedule is not null;

    private static DateTimeOffset Now => new(Workflow.UtcNow);

    /// <summary>Runs the workflow.</summary>
    /// <param name="input">The booking.</param>
    /// <returns>Where the booking ended.</returns>
    [WorkflowRun]
    public async Task<BookingState> RunAsync(BookingInput input)
    {
        Validate(input);
        var reserved = await ExecuteActivityAsync((BookingActivities a) => a.ReserveSlotAsync(new ReserveSlotInput(
            input.Reference, input.Client, input.Practitioner, input.Service, _state.StartsAt, _state.EndsAt, input.PriceMinor, input.Currency)));
        var bookingId = reserved.BookingId;
        _state = _state with { BookingId = bookingId };

        if (!await PayAsync(bookingId))
        {
            return _state;
        }

        while (true)
        {
            if (_state.ReminderSentFor != _state.StartsAt)
            {
                if (await WaitForChangeUntilAsync(_state.StartsAt - ReminderLead))
                {
                    if (await ApplyChangeAsync(bookingId))
                    {
                        return _state;
                    }

                    continue;
                }

                var reminder = await ExecuteActivityAsync((BookingActivities a) => a.SendReminderAsync(new SendReminderInput(bookingId, _state.StartsAt)));
                _state = _state with { ReminderSentFor = reminder.SessionStartsAt };
            }

            if (!await WaitForChangeUntilAsync(_state.EndsAt))
            {
                break;
            }

            if (await ApplyChangeAsync(bookingId))
            {
                return _state;
            }
        }

        var completed = await ExecuteActivityAsync((BookingActivities a) => a.CompleteBookingAsync(new CompleteBookingInput(bookingId, _noShow)));
        _state = _state with { Status = completed.Status };
        if (completed.Status == BookingStatus.Completed && input.FollowUpDays > 0)
        {
            // The follow-up outlives this workflow by weeks: abandoned, not terminated, when the booking closes.
            var followUp = await Workflow.StartChildWorkflowAsync(
                (BookingFollowUpWorkflow wf) => wf.RunAsync(new FollowUpInput(bookingId, input.Reference, input.FollowUpDays)),
                new ChildWorkflowOptions { Id = $"{Workflow.Info.WorkflowId}/follow-up", ParentClosePolicy = ParentClosePolicy.Abandon });
            _state = _state with { FollowUpWorkflowId = followUp.Id };
        }

        return _state;
    }

    /// <summary>Asks for the booking to be cancelled; taken until the session starts.</summary>
    /// <param name="request">The request.</param>
    /// <returns>A completed task.</returns>
    [WorkflowSignal("Cancel")]
    public Task CancelAsync(CancelBookingRequest request)
    {
        _cancel ??= request;
        return Task.CompletedTask;
    }

    /// <summary>Asks for the booking to be moved; taken until the session starts (the latest request wins).</summary>
    /// <param name="request">The request.</param>
    /// <returns>A completed task.</returns>
    [WorkflowSignal("Reschedule")]
    public Task RescheduleAsync(RescheduleBookingRequest request)
    {
        _reschedule = request;
        return Task.CompletedTask;
    }

    /// <summary>Reports that the client did not come; taken until the session ends.</summary>
    /// <returns>A completed task.</returns>
    [WorkflowSignal("ReportNoShow")]
    public Task ReportNoShowAsync()
    {
        _noShow = true;
        return Task.CompletedTask;
    }

    // Takes the payment; false when it was declined and the booking cancelled.
    private async Task<bool> PayAsync(int bookingId)
    {
        PaymentResult payment;
        try
        {
            payment = await Workflow.ExecuteChildWorkflowAsync<PaymentResult>(
                PaymentsContract.ProcessPaymentWorkflow,
                [new ProcessPaymentRequest(_input.Reference, _input.PriceMinor, _input.Currency)],
                new ChildWorkflowOptions { Id = $"{Workflow.Info.WorkflowId}/payment", TaskQueue = _input.PaymentsTaskQueue });
        }
        catch (ChildWorkflowFailureException e)
        {
            // Nothing was taken (Payments voids what it authorized): give the slot back before failing.
            await CancelBookingAsync(bookingId, $"Payment failed: {e.InnerException?.Message ?? e.Message}", refundId: null);
            throw;
        }

        if (payment is not { Status: PaymentsContract.Captured, CaptureId: { } captureId })
        {
            await CancelBookingAsync(bookingId, $"Payment {payment.Status}: {payment.DeclineReason}", refundId: null);
            return false;
        }

        var confirmed = await ExecuteActivityAsync((BookingActivities a) => a.ConfirmBookingAsync(new ConfirmBookingInput(bookingId, captureId)));
        _state = _state with { Status = confirmed.Status, CaptureId = captureId };
        return true;
    }

    // True when a cancel or reschedule request came before the time; false when the time came.
    private async Task<bool> WaitForChangeUntilAsync(DateTimeOffset until)
    {
        var wait = until - Now;
        return wait <= TimeSpan.Zero ? ChangeRequested : await Workflow.WaitConditionAsync(() => ChangeRequested, wait);
    }

    // Applies the pending request; true when the booking is now cancelled (the workflow ends).
    private async Task<bool> ApplyChangeAsync(int bookingId)
    {
        var (cancel, reschedule) = (_cancel, _reschedule);
        (_cancel, _reschedule) = (null, null);
        if (Now >= _state.StartsAt)
        {
            _state = _state with { LastRejection = $"The session started at {_state.StartsAt:O}; it can no longer be cancelled or moved" };
            return false;
        }

        if (cancel is not null)
        {
            long? refundId = null;
            if (_state.CaptureId is { } captureId)
            {
                var refund = await Workflow.ExecuteChildWorkflowAsync<RefundResult>(
                    PaymentsContract.RefundPaymentWorkflow,
                    [new RefundPaymentRequest(captureId, _input.PriceMinor)],
                    new ChildWorkflowOptions { Id = $"{Workflow.Info.WorkflowId}/refund", TaskQueue = _input.PaymentsTaskQueue });
                refundId = refund.RefundId;
            }

            await CancelBookingAsync(bookingId, cancel.Reason, refundId);
            return true;
        }

        if (reschedule is not null)
        {
            await MoveAsync(bookingId, reschedule.StartsAt);
        }

        return false;
    }

    private async Task MoveAsync(int bookingId, DateTimeOffset startsAt)
    {
        if (startsAt <= Now)
        {
            _state = _state with { LastRejection = $"A booking can only be moved to the future, got {startsAt:O}" };
            return;
        }

        try
        {
            var moved = await ExecuteActivityAsync((BookingActivities a) =>
                a.RescheduleBookingAsync(new RescheduleBookingInput(bookingId, startsAt, startsAt + _input.Duration)));
            _state = _state with { StartsAt = moved.StartsAt, EndsAt = moved.EndsAt, LastRejection = null };
        }
        catch (ActivityFailureException e) when (e.InnerException is ApplicationFailureException { ErrorType: BookingActivities.SlotUnavailable } unavailable)
        {
            // The booking keeps its slot; whoever asked can read why from the query.
            Workflow.Logger.LogInformation("Booking {Reference} not moved: {Reason}", _input.Reference, unavailable.Message);
            _state = _state with { LastRejection = unavailable.Message };
        }
    }

    private async Task CancelBookingAsync(int bookingId, string reason, long? refundId)
    {
        var cancelled = await ExecuteActivityAsync((BookingActivities a) => a.CancelBookingAsync(new CancelBookingInput(bookingId, reason, refundId)));
        _state = _state with { Status = cancelled.Status, CancellationReason = reason, RefundId = refundId };
    }

    private static void Validate(BookingInput input)
    {
        string? error = input switch
        {
            _ when input.StartsAt <= Now => $"A booking must start in the future, got {input.StartsAt:O}",
            { Duration.Ticks: <= 0 } => $"A session must last some time, got {input.Duration}",
            { FollowUpDays: < 0 or > 365 } => $"FollowUpDays must be 0 to 365, got {input.FollowUpDays}",
            { PaymentsTaskQueue: null or "" } => "PaymentsTaskQueue must be set",
            _ => null,
        };
        if (error is not null)
        {
            throw new ApplicationFailureException(error, errorType: BookingActivities.InvalidBooking, nonRetryable: true);
        }
    }
}
