using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Workflows;
using Temporalio.Activities;
using Temporalio.Workflows;

namespace Estuary.Tests.Encryption;

/// <summary>A domain of this test assembly whose payloads carry what encryption must hide: names, e-mail addresses,
/// payment references, in the workflow's input, an activity's input and result, a signal and the result.</summary>
internal sealed class CustomersDomain : EstuaryDomain
{
    public override string Name => "customers";

    public override string Description => "Encryption fixtures";

    public override IEnumerable<Type> Types => [typeof(WelcomeWorkflow), typeof(CustomerActivities)];

    public override void ConfigureActivityDefaults(ActivityDefaultsOptions defaults) =>
        defaults.StartToCloseTimeout = TimeSpan.FromSeconds(10);
}

/// <summary>A customer.</summary>
/// <param name="Name">Full name.</param>
/// <param name="Email">E-mail address.</param>
/// <param name="PaymentReference">The payment it made.</param>
public sealed record Customer(string Name, string Email, string PaymentReference);

/// <summary>Greets a customer (an activity), then waits for a note (signal <c>Confirm</c>) and returns both.</summary>
[Workflow]
public sealed class WelcomeWorkflow : EstuaryWorkflow
{
    private string? _note;

    [WorkflowRun]
    public async Task<string> RunAsync(Customer customer)
    {
        var greeting = await ExecuteActivityAsync((CustomerActivities a) => a.GreetAsync(customer));
        await Workflow.WaitConditionAsync(() => _note is not null);
        return $"{greeting}; {_note}";
    }

    [WorkflowSignal("Confirm")]
    public Task ConfirmAsync(string note)
    {
        _note = note;
        return Task.CompletedTask;
    }
}

[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Instance activities, resolved per execution like a domain's.")]
public sealed class CustomerActivities
{
    [Activity("customers_greet")]
    public Task<string> GreetAsync(Customer customer) =>
        Task.FromResult($"Dear {customer.Name} <{customer.Email}>, payment {customer.PaymentReference} received");
}
