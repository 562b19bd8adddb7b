using Estuary.Worker.Bookings.Workflows;
using Estuary.Worker.Payments.Workflows;
using Temporalio.Converters;

namespace Estuary.Tests.Bookings;

/// <summary>
/// Bookings calls the Payments workflows by name with its own copies of their input and result records
/// (<see cref="PaymentsContract"/>); these tests hold the two domains to the same names and JSON shapes, as Temporal's
/// default converter writes them.
/// </summary>
public sealed class PaymentsContractTests
{
    private static readonly IPayloadConverter Converter = DataConverter.Default.PayloadConverter;

    [Fact]
    public void PaymentsContract_WorkflowNamesAndTaskQueue_AreThoseOfThePaymentsDomain()
    {
        Assert.Equal(
            (nameof(ProcessPaymentWorkflow), nameof(RefundPaymentWorkflow), "payments"),
            (PaymentsContract.ProcessPaymentWorkflow, PaymentsContract.RefundPaymentWorkflow, new Worker.Payments.PaymentsDomain().DefaultTaskQueue));
    }

    [Fact]
    public void ProcessPayment_BookingsRequestAndPaymentsOutcome_ConvertBothWays()
    {
        var input = Convert<ProcessPaymentInput>(new ProcessPaymentRequest("B-42", 6000, "EUR"));
        var captured = Convert<PaymentResult>(new PaymentOutcome("B-42", PaymentStatus.Captured, 7, 8, null, null));
        var declined = Convert<PaymentResult>(new PaymentOutcome("B-42", PaymentStatus.AuthorizationDeclined, null, null, null, "card refused"));

        Assert.Equal(new ProcessPaymentInput("B-42", 6000, "EUR"), input);
        Assert.Equal(new PaymentResult("B-42", PaymentsContract.Captured, 8, null), captured);
        Assert.Equal(new PaymentResult("B-42", "AuthorizationDeclined", null, "card refused"), declined);
    }

    [Fact]
    public void RefundPayment_BookingsRequestAndPaymentsOutcome_ConvertBothWays()
    {
        var input = Convert<RefundPaymentInput>(new RefundPaymentRequest(8, 6000));
        var refund = Convert<RefundResult>(new RefundOutcome(9, 8, "B-42", 6000, "EUR"));

        Assert.Equal(new RefundPaymentInput(8, 6000), input);
        Assert.Equal(new RefundResult(9, 8, 6000), refund);
    }

    private static T Convert<T>(object value) => Converter.ToValue<T>(Converter.ToPayload(value));
}
