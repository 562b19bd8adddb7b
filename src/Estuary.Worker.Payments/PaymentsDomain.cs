using Estuary.Temporal.Domains;
using Estuary.Worker.Payments.Data;
using Estuary.Worker.Payments.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Estuary.Worker.Payments;

/// <summary>The payments domain: takes payments (authorize, capture, refund) and pays practitioners out through a payment provider.</summary>
public sealed class PaymentsDomain : EstuaryDomain<PaymentsDbContext>
{
    /// <inheritdoc />
    public override string Name => "payments";

    /// <inheritdoc />
    public override string Description => "Payments domain";

    /// <inheritdoc />
    public override void ConfigureServices(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PaymentProviderOptions>()
            .Bind(builder.Configuration.GetSection(PaymentProviderOptions.SectionPath))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<IPaymentProvider, DatabasePaymentProvider>();
    }
}
