using Estuary.Tests.Infrastructure;
using Estuary.Tests.Payments;
using Estuary.Worker.Bookings.Activities;
using Estuary.Worker.Bookings.Data;
using Estuary.Worker.Bookings.Workflows;
using Estuary.Worker.Payments.Data;
using Microsoft.EntityFrameworkCore;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.Tests.Bookings;

/// <summary>
/// <see cref="BookingWorkflow"/> and <see cref="BookingFollowUpWorkflow"/> end to end on the time-skipping server, with
/// a Bookings and a Payments worker against real PostgreSQL. Time is locked while a test drives a booking (signals,
/// queries) and skips while it waits for the outcome. Every test leaves no workflow running, and its
/// <see cref="BookingsWorkers"/> terminates whatever a failed test left open.
/// </summary>
[Collection(UsesTemporal.Name)]
public sealed class BookingWorkflowTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task RunAsync_FullLifecycleOverThirtySimulatedDays_PaysRemindsOnceCompletesAndFollowsUpWithContinueAsNew()
    {
        await using var workers = await BookingsWorkers.StartAsync(fixture, GetType());
        var server = workers.Server;
        var startedAt = await server.NowAsync();
        var input = workers.Booking(NewId("dr"), startedAt.AddDays(2)) with { FollowUpDays = 30 };

        var handle = await server.Client.StartWorkflowAsync((BookingWorkflow wf) => wf.RunAsync(input), new($"booking-{input.Reference}", workers.Bookings.TaskQueue));
        var state = await server.SkippingTimeAsync(() => handle.GetResultAsync());
        var followUp = server.Client.GetWorkflowHandle<BookingFollowUpWorkflow>(state.FollowUpWorkflowId!);
        var followedUp = await server.SkippingTimeAsync(() => followUp.GetResultAsync<FollowUpResult>());
        var endedAt = await server.NowAsync();

        Assert.Equal((BookingStatus.Completed, input.StartsAt, input.StartsAt.AddHours(1), input.StartsAt), (state.Status, state.StartsAt, state.EndsAt, state.ReminderSentFor));
        Assert.Equal($"{handle.Id}/follow-up", state.FollowUpWorkflowId);
        Assert.Equal((state.BookingId!.Value, false, 30, 5), (followedUp.BookingId, followedUp.ReviewReceived, followedUp.DaysChecked, followedUp.Runs));
        Assert.True(endedAt - startedAt >= TimeSpan.FromDays(32), $"server time went from {startedAt:O} to {endedAt:O}");
        var booking = await BookingAsync(workers, input.Reference);
        Assert.Equal((BookingStatus.Completed, state.CaptureId), (booking.Status, booking.CaptureId));
        Assert.Equal([(input.StartsAt, "ada@example.org")], await RemindersAsync(workers, booking.Id));
        Assert.Equal([ProviderOperationKind.Authorize, ProviderOperationKind.Capture], await LedgerAsync(workers, input.Reference));
        var followUpRuns = await ChildRunAsync(server, handle, nameof(BookingFollowUpWorkflow));
        Assert.Equal(WorkflowExecutionStatus.ContinuedAsNew, (await followUpRuns.DescribeAsync()).Status);
        await RecordedHistories.SaveAsync(handle, "booking-completed");
        await RecordedHistories.SaveAsync(followUpRuns, "follow-up-run-1");
        await RecordedHistories.SaveAsync(followUp, "follow-up-last-run");
    }

    [Fact]
    public async Task CancelSignal_ConfirmedBooking_RefundsThroughPaymentsAndFreesTheSlot()
    {
        await using var workers = await BookingsWorkers.StartAsync(fixture, GetType());
        var server = workers.Server;
        var input = workers.Booking(NewId("dr"), (await server.NowAsync()).AddDays(3));
        var handle = await server.Client.StartWorkflowAsync((BookingWorkflow wf) => wf.RunAsync(input), new($"booking-{input.Reference}", workers.Bookings.TaskQueue));
        await WaitForStateAsync(handle, s => s.Status == BookingStatus.Confirmed);

        await handle.SignalAsync(wf => wf.CancelAsync(new CancelBookingRequest("client is ill")));
        var state = await server.SkippingTimeAsync(() => handle.GetResultAsync());

        Assert.Equal((BookingStatus.Cancelled, "client is ill", null), (state.Status, state.CancellationReason, state.ReminderSentFor));
        Assert.NotNull(state.RefundId);
        var booking = await BookingAsync(workers, input.Reference);
        Assert.Equal((BookingStatus.Cancelled, state.CaptureId, state.RefundId), (booking.Status, booking.CaptureId, booking.RefundId));
        Assert.Empty(await RemindersAsync(workers, booking.Id));
        Assert.Equal([ProviderOperationKind.Authorize, ProviderOperationKind.Capture, ProviderOperationKind.Refund], await LedgerAsync(workers, input.Reference));
        var refund = await workers.Payments.WithAsync<PaymentsDbContext, ProviderOperation>(db => db.ProviderOperations.SingleAsync(o => o.Id == state.RefundId));
        Assert.Equal((6000L, state.CaptureId), (refund.AmountMinor, refund.RelatedOperationId));
        await RecordedHistories.SaveAsync(handle, "booking-cancelled");
    }

    [Fact]
    public async Task RescheduleSignal_FirstIntoATakenSlotThenIntoAFreeOne_RefusesThenMovesAndRemindsForTheNewTime()
    {
        await using var workers = await BookingsWorkers.StartAsync(fixture, GetType());
        var server = workers.Server;
        var now = await server.NowAsync();
        var practitioner = NewId("dr");
        var taken = now.AddDays(5);
        await SeedConfirmedBookingAsync(workers, practitioner, taken);
        var input = workers.Booking(practitioner, now.AddDays(3));
        var handle = await server.Client.StartWorkflowAsync((BookingWorkflow wf) => wf.RunAsync(input), new($"booking-{input.Reference}", workers.Bookings.TaskQueue));
        await WaitForStateAsync(handle, s => s.Status == BookingStatus.Confirmed);

        await handle.SignalAsync(wf => wf.RescheduleAsync(new RescheduleBookingRequest(taken.AddMinutes(30))));
        var refused = await WaitForStateAsync(handle, s => s.LastRejection is not null);
        await handle.SignalAsync(wf => wf.RescheduleAsync(new RescheduleBookingRequest(now.AddDays(6))));
        var moved = await WaitForStateAsync(handle, s => s.StartsAt != input.StartsAt);
        var state = await server.SkippingTimeAsync(() => handle.GetResultAsync());

        Assert.Equal(input.StartsAt, refused.StartsAt);
        Assert.StartsWith($"Practitioner '{practitioner}' is already booked between", refused.LastRejection, StringComparison.Ordinal);
        Assert.Equal((now.AddDays(6), now.AddDays(6).AddHours(1), null), (moved.StartsAt, moved.EndsAt, moved.LastRejection));
        Assert.Equal((BookingStatus.Completed, now.AddDays(6)), (state.Status, state.ReminderSentFor));
        var booking = await BookingAsync(workers, input.Reference);
        Assert.Equal((BookingStatus.Completed, now.AddDays(6)), (booking.Status, booking.StartsAt));
        Assert.Equal([(now.AddDays(6), "ada@example.org")], await RemindersAsync(workers, booking.Id));
        await RecordedHistories.SaveAsync(handle, "booking-rescheduled");
    }

    [Fact]
    public async Task RunAsync_SlotOverlapsAConfirmedBooking_FailsSlotUnavailableWithoutTakingPayment()
    {
        await using var workers = await BookingsWorkers.StartAsync(fixture, GetType());
        var server = workers.Server;
        var practitioner = NewId("dr");
        var startsAt = (await server.NowAsync()).AddDays(3);
        var first = workers.Booking(practitioner, startsAt);
        var firstHandle = await server.Client.StartWorkflowAsync((BookingWorkflow wf) => wf.RunAsync(first), new($"booking-{first.Reference}", workers.Bookings.TaskQueue));
        await WaitForStateAsync(firstHandle, s => s.Status == BookingStatus.Confirmed);
        var second = workers.Booking(practitioner, startsAt.AddMinutes(15));

        var failure = await Assert.ThrowsAsync<WorkflowFailedException>(() => server.Client.ExecuteWorkflowAsync(
            (BookingWorkflow wf) => wf.RunAsync(second), new($"booking-{second.Reference}", workers.Bookings.TaskQueue)));
        await firstHandle.SignalAsync(wf => wf.CancelAsync(new CancelBookingRequest("test over")));
        await server.SkippingTimeAsync(() => firstHandle.GetResultAsync());

        var unavailable = Assert.IsType<ApplicationFailureException>(Assert.IsType<ActivityFailureException>(failure.InnerException).InnerException);
        Assert.Equal((BookingActivities.SlotUnavailable, true), (unavailable.ErrorType, unavailable.NonRetryable));
        Assert.Equal($"Practitioner '{practitioner}' is already booked between {startsAt.AddMinutes(15):yyyy-MM-dd HH:mm} and {startsAt.AddMinutes(75):yyyy-MM-dd HH:mm} UTC", unavailable.Message);
        Assert.Empty(await LedgerAsync(workers, second.Reference));
    }

    [Fact]
    public async Task RunAsync_PaymentDeclined_CancelsTheBookingAndFreesTheSlot()
    {
        await using var workers = await BookingsWorkers.StartAsync(fixture, GetType(), new Failure("Authorize", AmountMinor: 6666, Permanent: true));
        var server = workers.Server;
        var input = workers.Booking(NewId("dr"), (await server.NowAsync()).AddDays(3)) with { PriceMinor = 6666 };

        var state = await server.SkippingTimeAsync(() => server.Client.ExecuteWorkflowAsync(
            (BookingWorkflow wf) => wf.RunAsync(input), new($"booking-{input.Reference}", workers.Bookings.TaskQueue)));

        Assert.Equal((BookingStatus.Cancelled, null), (state.Status, state.CaptureId));
        Assert.StartsWith("Payment AuthorizationDeclined: ", state.CancellationReason, StringComparison.Ordinal);
        Assert.Equal(BookingStatus.Cancelled, (await BookingAsync(workers, input.Reference)).Status);
    }

    [Fact]
    public async Task ReportNoShowSignal_DuringTheSession_MarksNoShowWithoutFollowUp()
    {
        await using var workers = await BookingsWorkers.StartAsync(fixture, GetType());
        var server = workers.Server;
        var input = workers.Booking(NewId("dr"), (await server.NowAsync()).AddDays(2)) with { FollowUpDays = 30 };
        var handle = await server.Client.StartWorkflowAsync((BookingWorkflow wf) => wf.RunAsync(input), new($"booking-{input.Reference}", workers.Bookings.TaskQueue));
        await WaitForStateAsync(handle, s => s.Status == BookingStatus.Confirmed);

        await handle.SignalAsync(wf => wf.ReportNoShowAsync());
        var state = await server.SkippingTimeAsync(() => handle.GetResultAsync());

        Assert.Equal((BookingStatus.NoShow, null), (state.Status, state.FollowUpWorkflowId));
        Assert.Equal(BookingStatus.NoShow, (await BookingAsync(workers, input.Reference)).Status);
    }

    [Fact]
    public async Task FollowUpRunAsync_ReviewAlreadyIn_EndsAfterTheFirstDailyCheck()
    {
        await using var workers = await BookingsWorkers.StartAsync(fixture, GetType());
        var server = workers.Server;
        var booking = await SeedConfirmedBookingAsync(workers, NewId("dr"), (await server.NowAsync()).AddDays(-2), reviewedAt: await server.NowAsync());

        var result = await server.SkippingTimeAsync(() => server.Client.ExecuteWorkflowAsync(
            (BookingFollowUpWorkflow wf) => wf.RunAsync(new FollowUpInput(booking.Id, booking.Reference)), new(NewId("follow-up"), workers.Bookings.TaskQueue)));

        Assert.Equal((true, booking.ReviewedAt, 1, 1), (result.ReviewReceived, result.ReviewedAt, result.DaysChecked, result.Runs));
    }

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    // The state changes only as the workflow's tasks complete: ask again each time its history grows.
    private static Task<BookingState> WaitForStateAsync(WorkflowHandle<BookingWorkflow> handle, Func<BookingState, bool> until) =>
        handle.WaitUntilAsync(() => handle.QueryAsync(wf => wf.State), until, $"the state of {handle.Id}");

    private static async Task<Booking> SeedConfirmedBookingAsync(BookingsWorkers workers, string practitioner, DateTimeOffset startsAt, DateTimeOffset? reviewedAt = null)
    {
        var booking = new Booking
        {
            Reference = NewId("seeded"),
            Client = "bob@example.org",
            Practitioner = practitioner,
            Service = "massage-60",
            StartsAt = startsAt,
            EndsAt = startsAt.AddHours(1),
            PriceMinor = 6000,
            Currency = "EUR",
            Status = BookingStatus.Confirmed,
            RequestedAt = startsAt.AddDays(-7),
            ReviewedAt = reviewedAt,
        };
        return await workers.Bookings.WithAsync<BookingsDbContext, Booking>(async db =>
        {
            db.Bookings.Add(booking);
            await db.SaveChangesAsync();
            return booking;
        });
    }

    private static Task<Booking> BookingAsync(BookingsWorkers workers, string reference) =>
        workers.Bookings.WithAsync<BookingsDbContext, Booking>(db => db.Bookings.AsNoTracking().SingleAsync(b => b.Reference == reference));

    private static async Task<List<(DateTimeOffset SessionStartsAt, string Recipient)>> RemindersAsync(BookingsWorkers workers, int bookingId) =>
        (await workers.Bookings.WithAsync<BookingsDbContext, List<BookingReminder>>(db =>
            db.Reminders.AsNoTracking().Where(r => r.BookingId == bookingId).OrderBy(r => r.Id).ToListAsync()))
        .Select(r => (r.SessionStartsAt, r.Recipient)).ToList();

    private static Task<List<ProviderOperationKind>> LedgerAsync(BookingsWorkers workers, string reference) =>
        workers.Payments.WithAsync<PaymentsDbContext, List<ProviderOperationKind>>(db =>
            db.ProviderOperations.Where(o => o.Reference == reference).OrderBy(o => o.Id).Select(o => o.Kind).ToListAsync());

    // The first run of a child, from the parent's ChildWorkflowExecutionStarted event.
    private static async Task<WorkflowHandle> ChildRunAsync(TimeSkippingServer server, WorkflowHandle parent, string workflowType)
    {
        var started = (await parent.FetchHistoryEventsAsync().ToListAsync())
            .Select(e => e.ChildWorkflowExecutionStartedEventAttributes)
            .Single(a => a is not null && a.WorkflowType.Name == workflowType);
        return server.Client.GetWorkflowHandle(started.WorkflowExecution.WorkflowId, runId: started.WorkflowExecution.RunId);
    }
}
