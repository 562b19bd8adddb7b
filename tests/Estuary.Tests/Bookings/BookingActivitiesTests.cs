using Estuary.Tests.Infrastructure;
using Estuary.Worker.Bookings;
using Estuary.Worker.Bookings.Activities;
using Estuary.Worker.Bookings.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Exceptions;

namespace Estuary.Tests.Bookings;

[Collection(UsesPostgres.Name)]
public sealed class BookingActivitiesTests(PostgresFixture postgres) : IAsyncLifetime
{
    private static readonly DateTimeOffset Monday = new(2030, 3, 4, 9, 0, 0, TimeSpan.Zero);

    private DomainHarness _harness = null!;

    public async ValueTask InitializeAsync() =>
        _harness = await DomainHarness.CreateAsync(new BookingsDomain(), await postgres.DatabaseForAsync(GetType()));

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task ReserveSlot_FreeSlot_StoresOneRequestedBooking()
    {
        var practitioner = NewId("dr");
        var input = Slot("B-1-" + practitioner, practitioner, Monday, TimeSpan.FromHours(1));

        var reserved = await ReserveAsync(input);

        Assert.Equal(BookingStatus.Requested, reserved.Status);
        var booking = Assert.Single(await BookingsAsync(practitioner));
        Assert.Equal(
            (reserved.BookingId, input.Reference, "ada@example.org", "massage-60", Monday, Monday.AddHours(1), 6000L, "EUR", BookingStatus.Requested),
            (booking.Id, booking.Reference, booking.Client, booking.Service, booking.StartsAt, booking.EndsAt, booking.PriceMinor, booking.Currency, booking.Status));
    }

    [Fact]
    public async Task ReserveSlot_OverlapsAnActiveBookingOfThePractitioner_FailsSlotUnavailableWithoutRetry()
    {
        var practitioner = NewId("dr");
        await ReserveAsync(Slot(NewId("first"), practitioner, Monday, TimeSpan.FromHours(1)));

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(
            () => ReserveAsync(Slot(NewId("second"), practitioner, Monday.AddMinutes(30), TimeSpan.FromHours(1))));

        Assert.Equal((BookingActivities.SlotUnavailable, true), (failure.ErrorType, failure.NonRetryable));
        Assert.Equal($"Practitioner '{practitioner}' is already booked between 2030-03-04 09:30 and 2030-03-04 10:30 UTC", failure.Message);
        Assert.Single(await BookingsAsync(practitioner));
    }

    [Fact]
    public async Task ReserveSlot_TwoOverlappingRequestsAtOnce_ReservesExactlyOne()
    {
        var practitioner = NewId("dr");

        var attempts = await Task.WhenAll(Enumerable.Range(0, 2).Select(async i =>
        {
            try
            {
                return (await ReserveAsync(Slot(NewId($"race-{i}"), practitioner, Monday.AddMinutes(i * 10), TimeSpan.FromHours(1)))).Reference;
            }
            catch (ApplicationFailureException e) when (e.ErrorType == BookingActivities.SlotUnavailable)
            {
                return null;
            }
        }));

        var reserved = Assert.Single(attempts, a => a is not null);
        Assert.Equal([reserved], (await BookingsAsync(practitioner)).Select(b => b.Reference));
    }

    [Fact]
    public async Task ReserveSlot_AdjacentSlotOtherPractitionerOrCancelledBooking_IsAccepted()
    {
        var practitioner = NewId("dr");
        var first = await ReserveAsync(Slot(NewId("first"), practitioner, Monday, TimeSpan.FromHours(1)));

        await ReserveAsync(Slot(NewId("adjacent"), practitioner, Monday.AddHours(1), TimeSpan.FromHours(1)));
        await ReserveAsync(Slot(NewId("other"), NewId("dr"), Monday, TimeSpan.FromHours(1)));
        await RunAsync<BookingSnapshot>("cancel_booking", new CancelBookingInput(first.BookingId, "client asked", null));
        var again = await ReserveAsync(Slot(NewId("again"), practitioner, Monday, TimeSpan.FromHours(1)));

        Assert.Equal(
            [(Monday, BookingStatus.Requested), (Monday, BookingStatus.Cancelled), (Monday.AddHours(1), BookingStatus.Requested)],
            (await BookingsAsync(practitioner)).Select(b => (b.StartsAt, b.Status)).Order());
        Assert.NotEqual(first.BookingId, again.BookingId);
    }

    [Fact]
    public async Task RescheduleBooking_IntoAnotherBookingsSlot_FailsSlotUnavailableAndKeepsTheSlot()
    {
        var practitioner = NewId("dr");
        var moving = await ConfirmedAsync(Slot(NewId("moving"), practitioner, Monday, TimeSpan.FromHours(1)));
        await ReserveAsync(Slot(NewId("taken"), practitioner, Monday.AddDays(1), TimeSpan.FromHours(1)));

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => RunAsync<BookingSnapshot>(
            "reschedule_booking", new RescheduleBookingInput(moving.BookingId, Monday.AddDays(1).AddMinutes(-30), Monday.AddDays(1).AddMinutes(30))));
        var moved = await RunAsync<BookingSnapshot>(
            "reschedule_booking", new RescheduleBookingInput(moving.BookingId, Monday.AddDays(2), Monday.AddDays(2).AddHours(1)));

        Assert.Equal(BookingActivities.SlotUnavailable, failure.ErrorType);
        Assert.Equal((Monday.AddDays(2), BookingStatus.Confirmed), (moved.StartsAt, moved.Status));
    }

    [Fact]
    public async Task SendReminder_RetriedAfterCommitAndRunAgainByAnotherRun_RecordsOneReminder()
    {
        var booking = await ConfirmedAsync(Slot(NewId("remind"), NewId("dr"), Monday, TimeSpan.FromHours(1)));
        var workflowId = NewId("wf");
        var input = new SendReminderInput(booking.BookingId, Monday);

        var first = await _harness.RunActivityAsync<ReminderSent>(_harness.Info("send_reminder", workflowId), input);
        var retried = await _harness.RunActivityAsync<ReminderSent>(_harness.Info("send_reminder", workflowId, attempt: 2), input);
        var otherRun = await _harness.RunActivityAsync<ReminderSent>(_harness.Info("send_reminder", NewId("wf")), input);
        var rescheduled = await _harness.RunActivityAsync<ReminderSent>(_harness.Info("send_reminder", NewId("wf")), input with { SessionStartsAt = Monday.AddDays(1) });

        Assert.Equal(first, retried);
        Assert.Equal((first.ReminderId, false, true), (otherRun.ReminderId, first.AlreadySent, otherRun.AlreadySent));
        await using var scope = _harness.Services.CreateAsyncScope();
        var reminders = await Db(scope).Reminders.Where(r => r.BookingId == booking.BookingId).OrderBy(r => r.SessionStartsAt).ToListAsync();
        Assert.Equal(
            [(Monday, "ada@example.org"), (Monday.AddDays(1), "ada@example.org")],
            reminders.Select(r => (r.SessionStartsAt, r.Recipient)));
        Assert.Equal(rescheduled.ReminderId, reminders[1].Id);
    }

    [Theory]
    [InlineData("", "A booking reference must have 1 to 100 characters")]
    [InlineData("no-currency", "A currency must be a three-letter ISO 4217 code, got 'eur'")]
    public async Task ReserveSlot_InvalidInput_FailsInvalidBookingWithoutRetry(string reference, string expected)
    {
        var input = Slot(reference, NewId("dr"), Monday, TimeSpan.FromHours(1)) with { Currency = "eur" };

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => ReserveAsync(input));

        Assert.Equal((BookingActivities.InvalidBooking, true, expected), (failure.ErrorType, failure.NonRetryable, failure.Message));
    }

    private static ReserveSlotInput Slot(string reference, string practitioner, DateTimeOffset startsAt, TimeSpan duration) =>
        new(reference, "ada@example.org", practitioner, "massage-60", startsAt, startsAt + duration, 6000, "EUR");

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static BookingsDbContext Db(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<BookingsDbContext>();

    private Task<BookingSnapshot> ReserveAsync(ReserveSlotInput input) => RunAsync<BookingSnapshot>("reserve_slot", input);

    private async Task<BookingSnapshot> ConfirmedAsync(ReserveSlotInput input)
    {
        var reserved = await ReserveAsync(input);
        return await RunAsync<BookingSnapshot>("confirm_booking", new ConfirmBookingInput(reserved.BookingId, 1));
    }

    // Each call is its own workflow's activity, so the transactional idempotency record never answers for another call.
    private Task<TResult> RunAsync<TResult>(string activity, object input) =>
        _harness.RunActivityAsync<TResult>(_harness.Info(activity, NewId("wf")), input);

    private async Task<List<Booking>> BookingsAsync(string practitioner)
    {
        await using var scope = _harness.Services.CreateAsyncScope();
        return await Db(scope).Bookings.AsNoTracking().Where(b => b.Practitioner == practitioner).ToListAsync();
    }
}
