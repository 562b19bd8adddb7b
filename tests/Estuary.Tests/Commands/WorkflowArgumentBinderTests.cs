using Estuary.Cli.Commands;
using Estuary.Temporal.Domains;

namespace Estuary.Tests.Commands;

public sealed class WorkflowArgumentBinderTests
{
    private static readonly WorkflowDescriptor Sample = DomainCatalog.Discover(new SampleDomain()).Workflows.Single();

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
}
