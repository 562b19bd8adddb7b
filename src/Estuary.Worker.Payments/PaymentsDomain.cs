using Estuary.Temporal.Domains;
using Estuary.Worker.Payments.Data;

namespace Estuary.Worker.Payments;

/// <summary>The payments domain: records payments received.</summary>
public sealed class PaymentsDomain : EstuaryDomain<PaymentsDbContext>
{
    /// <inheritdoc />
    public override string Name => "payments";

    /// <inheritdoc />
    public override string Description => "Payments domain";
}
