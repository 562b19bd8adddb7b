using Estuary.Temporal.Commands;
using Estuary.Temporal.Domains;

namespace Estuary.Tests.Commands;

public sealed class WorkflowArgumentBinderTests
{
    private static readonly WorkflowDescriptor Sample = DomainCatalog.Discover(new SampleDomain()).Workflows.Single();
    private static readonly WorkflowDescriptor Order = DomainCatalog.Discover(new OrdersDomain()).Workflows.Single();

    [Fact]
    public void Bind_EveryKindOfArgument_ConvertsToRunMethodTypes()
    {
        var values = WorkflowArgumentBinder.Bind(
            Sample, ["42", "Ada", "2026-03-01T09:30:00+01:00", "HIGH", "{\"reference\":\"B-7\",\"items\":[1,2,3]}", "true"]);

        Assert.Equal(42, values[0]);
        Assert.Equal("Ada", values[1]);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 9, 30, 0, TimeSpan.FromHours(1)), values[2]);
        Assert.Equal(Priority.High, values[3]);
        var input = Assert.IsType<SampleInput>(values[4]);
        Assert.Equal("B-7", input.Reference);
        Assert.Equal([1, 2, 3], input.Items);
        Assert.Equal(true, values[5]);
    }

    [Fact]
    public void Bind_OptionalArgumentOmitted_UsesDefault()
    {
        var values = WorkflowArgumentBinder.Bind(Sample, ["1", "n", "2026-01-01", "low", "{\"reference\":\"r\",\"items\":[]}"]);

        Assert.Equal(false, values[5]);
    }

    [Fact]
    public void Discover_SampleDomain_FindsWorkflowByNameClassAndAlias()
    {
        var domain = DomainCatalog.Discover(new SampleDomain());

        Assert.Same(domain.FindWorkflow("SampleWorkflow"), domain.FindWorkflow("sample"));
        Assert.Equal("sample_step", Assert.Single(domain.Activities).Name);
    }

    [Fact]
    public void Discover_WorkflowWithHandlers_ListsSignalsQueriesAndUpdatesWithTheirTypes()
    {
        Assert.Equal(
            ["Signal AddLine (line: OrderLine (JSON)) -> void", "Signal Close (note: string?) -> void",
             "Query Count (sku: string) -> int", "Query Lines (no arguments) -> IReadOnlyList<OrderLine> (JSON)",
             "Update SetQuantity (sku: string, quantity: int) -> int"],
            Order.Handlers.Select(h => $"{h.Kind} {h.Name} ({WorkflowArgumentBinder.Describe(h.Parameters)}) -> {WorkflowArgumentBinder.TypeName(h.ResultType)}"));
    }

    [Theory]
    [InlineData("{\"reference\":\"r\"}", "Argument 'input' of SampleWorkflow lacks the required member 'items' (SampleInput has: reference, items).")]
    [InlineData("{\"referense\":\"r\",\"items\":[]}", "Argument 'input' of SampleWorkflow has an unknown member 'referense' (SampleInput has: reference, items).")]
    [InlineData("{\"reference\":null,\"items\":[]}", "Argument 'input' of SampleWorkflow has null at input.reference, which must be a string.")]
    [InlineData("{\"reference\":\"r\",\"items\":[1,null]}", "Argument 'input' of SampleWorkflow has null at input.items[1], which must be an int.")]
    [InlineData("null", "Argument 'input' of SampleWorkflow must be a SampleInput (JSON), got null.")]
    public void Bind_JsonNotMatchingTheRecord_FailsNamingTheMemberAndTheKnownOnes(string json, string expected)
    {
        var error = Assert.Throws<WorkflowArgumentException>(() => WorkflowArgumentBinder.Bind(Sample, ["1", "n", "2026-01-01", "low", json]));

        Assert.Equal(expected, error.Message);
    }

    [Theory]
    [InlineData("{\"reference\":\"r\",\"options\":{\"priority\":2}}", "Argument 'input' of OrderWorkflow lacks the required member 'channel' at input.options (OrderOptions has: channel, priority?).")]
    [InlineData("{\"reference\":\"r\",\"options\":{\"channel\":\"web\",\"colour\":1}}", "Argument 'input' of OrderWorkflow has an unknown member 'colour' at input.options (OrderOptions has: channel, priority?).")]
    [InlineData("{\"options\":null}", "Argument 'input' of OrderWorkflow lacks the required member 'reference' (OrderInput has: reference, options?).")]
    public void Bind_NestedJsonNotMatching_NamesThePath(string json, string expected)
    {
        var error = Assert.Throws<WorkflowArgumentException>(() => WorkflowArgumentBinder.Bind(Order, [json]));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void Bind_OptionalMembersOmittedOrNull_UsesTheirDefaults()
    {
        var input = Assert.IsType<OrderInput>(Assert.Single(WorkflowArgumentBinder.Bind(Order, ["{\"REFERENCE\":\"r\",\"options\":null}"])));
        var withOptions = Assert.IsType<OrderInput>(Assert.Single(WorkflowArgumentBinder.Bind(Order, ["{\"reference\":\"r\",\"options\":{\"channel\":\"web\"}}"])));

        Assert.Equal(("r", null), (input.Reference, input.Options));
        Assert.Equal(("web", 0), (withOptions.Options!.Channel, withOptions.Options.Priority));
    }

    [Fact]
    public void Bind_SignalArguments_BindsToTheHandlersParameters()
    {
        var addLine = Order.FindHandler(WorkflowHandlerKind.Signal, "AddLine")!;
        var close = Order.FindHandler(WorkflowHandlerKind.Signal, "Close")!;

        Assert.Equal(new OrderLine("tea", 2), Assert.Single(WorkflowArgumentBinder.Bind(addLine, ["{\"sku\":\"tea\",\"quantity\":2}"])));
        Assert.Null(Assert.Single(WorkflowArgumentBinder.Bind(close, [])));
        Assert.Null(Assert.Single(WorkflowArgumentBinder.Bind(close, ["null"])));
    }

    [Theory]
    [InlineData("Signal 'AddLine' of OrderWorkflow takes 1 argument (line: OrderLine (JSON)), got 0.")]
    [InlineData("Signal 'AddLine' of OrderWorkflow takes 1 argument (line: OrderLine (JSON)), got 2.", "{}", "{}")]
    [InlineData("Argument 'line' of signal 'AddLine' of OrderWorkflow lacks the required member 'quantity' (OrderLine has: sku, quantity).", "{\"sku\":\"tea\"}")]
    public void Bind_SignalArgumentsWrong_FailsNamingTheSignal(string expected, params string[] tokens)
    {
        var addLine = Order.FindHandler(WorkflowHandlerKind.Signal, "AddLine")!;

        var error = Assert.Throws<WorkflowArgumentException>(() => WorkflowArgumentBinder.Bind(addLine, tokens));

        Assert.Equal(expected, error.Message);
    }
}
