using Estuary.Temporal.Activities;
using Estuary.Temporal.Domains;
using Estuary.Worker.Bookings;
using Estuary.Worker.Example;
using Estuary.Worker.Example.Activities;
using Estuary.Worker.Example.Workflows;
using Estuary.Worker.Payments;

namespace Estuary.Tests.Temporal;

public sealed class DiscoveryTests
{
    [Fact]
    public void Discover_ExampleDomain_FindsItsWorkflowAndBothActivities()
    {
        var example = DomainCatalog.Discover(new ExampleDomain());

        var workflow = Assert.Single(example.Workflows);
        Assert.Equal(("ExampleWorkflow", typeof(ExampleWorkflow), typeof(ExampleWorkflowResult)), (workflow.Name, workflow.Type, workflow.ResultType));
        var parameter = Assert.Single(workflow.Parameters);
        Assert.Equal(("entityId", typeof(int)), (parameter.Name, parameter.ParameterType));

        Assert.Equal(["get_entity_details", "process_entity"], example.Activities.Select(a => a.Name));
        Assert.Equal([typeof(ExampleActivities)], example.ActivityClasses);
        Assert.Equal(
            ["process_entity"],
            example.Activities.Where(a => a.Method.IsDefined(typeof(TransactionalAttribute), inherit: false)).Select(a => a.Name));
    }

    [Fact]
    public void Catalog_AllDomains_EachHasADatabaseAWorkflowAndAnActivityOnItsOwnTaskQueue()
    {
        var catalog = new DomainCatalog([new ExampleDomain(), new BookingsDomain(), new PaymentsDomain()]);

        Assert.Equal(["bookings", "example", "payments"], catalog.Domains.Select(d => d.Domain.Name));
        Assert.All(catalog.Domains, d =>
        {
            Assert.Equal(d.Domain.Name, d.Domain.DefaultTaskQueue);
            Assert.Equal($"{d.Domain.Name}-db", d.Domain.ConnectionName);
            Assert.NotNull(d.Domain.DbContextType);
            Assert.NotEmpty(d.Workflows);
            Assert.NotEmpty(d.Activities);
        });
        Assert.Equal(
            ["BookingFollowUpWorkflow", "BookingWorkflow"],
            catalog.Find("bookings")!.Workflows.Select(w => w.Name).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["PayoutBatchWorkflow", "ProcessPaymentWorkflow", "RecordPaymentWorkflow", "RefundPaymentWorkflow"],
            catalog.Find("payments")!.Workflows.Select(w => w.Name).Order(StringComparer.Ordinal));
    }
}
