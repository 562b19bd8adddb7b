using System.Text.Json;
using Estuary.Temporal.Commands;
using Estuary.Temporal.Domains;

namespace Estuary.Tests.Commands;

public sealed class WorkflowCatalogTests
{
    private static readonly DomainDescriptor Sample = DomainCatalog.Discover(new SampleDomain());
    private static readonly DomainDescriptor Orders = DomainCatalog.Discover(new OrdersDomain());
    private static readonly WorkflowCatalogBinder Binder = new([Sample, Orders]);

    [Fact]
    public void Of_SampleWorkflow_TypesEachParameterForAFormWithAnExample()
    {
        var workflow = Catalog().Find("SampleWorkflow")!;

        Assert.Equal("sample-queue", workflow.TaskQueue);
        Assert.Equal("sample", workflow.Domain);
        Assert.Equal(
            [ArgumentKind.WholeNumber, ArgumentKind.Text, ArgumentKind.DateTime, ArgumentKind.Enum, ArgumentKind.Json, ArgumentKind.Boolean],
            workflow.Parameters.Select(p => p.Kind));
        Assert.Equal([true, true, true, true, true, false], workflow.Parameters.Select(p => p.Required));
        Assert.Equal(["Low", "High"], workflow.Parameters[3].Options!);
        Assert.Equal("2030-01-01T09:00:00Z", workflow.Parameters[2].Example);
        Assert.Equal("SampleInput (JSON)", workflow.Parameters[4].Type);
        Assert.Equal("""{"reference":"text","items":[1]}""", workflow.Parameters[4].Example);
        // The example is something the binder accepts.
        Assert.Empty(Binder.Bind(new BindRequest("SampleWorkflow", null, null, [.. workflow.Parameters.Select(p => p.Example)])).Errors);
    }

    [Fact]
    public void Of_OrderWorkflow_ListsItsSignalsQueriesAndUpdatesWithTypedParameters()
    {
        var workflow = Catalog().Find("OrderWorkflow")!;

        Assert.Equal(["AddLine", "Close"], workflow.HandlersOf(WorkflowHandlerKind.Signal).Select(h => h.Name));
        Assert.Equal(["Count", "Lines"], workflow.HandlersOf(WorkflowHandlerKind.Query).Select(h => h.Name));
        var update = Assert.Single(workflow.HandlersOf(WorkflowHandlerKind.Update));
        Assert.Equal("SetQuantity", update.Name);
        Assert.Equal("int", update.Result);
        Assert.Equal([("sku", ArgumentKind.Text), ("quantity", ArgumentKind.WholeNumber)], update.Parameters.Select(p => (p.Name, p.Kind)));
        var close = workflow.FindHandler(WorkflowHandlerKind.Signal, "Close")!;
        Assert.False(Assert.Single(close.Parameters).Required);
        Assert.Equal("""{"sku":"text","quantity":1}""", workflow.FindHandler(WorkflowHandlerKind.Signal, "AddLine")!.Parameters[0].Example);
    }

    [Fact]
    public void Catalog_SerializedAndRead_SameDocument()
    {
        var json = JsonSerializer.Serialize(Catalog(), WorkflowCatalog.JsonOptions);

        var read = JsonSerializer.Deserialize<WorkflowCatalog>(json, WorkflowCatalog.JsonOptions)!;

        Assert.Equal(json, JsonSerializer.Serialize(read, WorkflowCatalog.JsonOptions));
        Assert.Contains("\"kind\":\"WholeNumber\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_ValidArgumentsOptionalOneEmpty_TemporalJsonWithTheDefault()
    {
        var response = Binder.Bind(new BindRequest("SampleWorkflow", null, null,
            ["42", "Ada", "2026-03-01T09:30:00+01:00", "high", """{"reference":"B-7","items":[1,2]}""", ""]));

        Assert.Empty(response.Errors);
        var values = response.Arguments!;
        Assert.Equal(42, values[0].GetInt32());
        Assert.Equal("Ada", values[1].GetString());
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 9, 30, 0, TimeSpan.FromHours(1)), values[2].GetDateTimeOffset());
        Assert.Equal((int)Priority.High, values[3].GetInt32());
        Assert.Equal("B-7", values[4].GetProperty("Reference").GetString());
        Assert.False(values[5].GetBoolean());
    }

    [Fact]
    public void Bind_ThreeBadArguments_OneErrorEachNamingItsArgument()
    {
        var response = Binder.Bind(new BindRequest("SampleWorkflow", null, null,
            ["many", "Ada", "soon", "low", """{"reference":"r","items":[],"colour":"red"}"""]));

        Assert.Null(response.Arguments);
        Assert.Equal([0, 2, 4], response.Errors.Select(e => e.Index));
        Assert.Contains("Argument 'count' of SampleWorkflow must be an int, got 'many'", response.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("Argument 'when'", response.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("unknown member 'colour'", response.Errors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_RequiredArgumentEmpty_ErrorSaysItIsRequired()
    {
        var response = Binder.Bind(new BindRequest("OrderWorkflow", WorkflowHandlerKind.Update, "SetQuantity", ["sku-1", ""]));

        var error = Assert.Single(response.Errors);
        Assert.Equal(1, error.Index);
        Assert.Equal("Argument 'quantity' of update 'SetQuantity' of OrderWorkflow is required.", error.Message);
    }

    [Fact]
    public void Bind_SignalTheWorkflowDoesNotDefine_ErrorListsItsOwn()
    {
        var response = Binder.Bind(new BindRequest("OrderWorkflow", WorkflowHandlerKind.Signal, "Nope", []));

        var error = Assert.Single(response.Errors);
        Assert.Equal(-1, error.Index);
        Assert.Equal("OrderWorkflow has no signal 'Nope' (it has: AddLine, Close).", error.Message);
    }

    [Fact]
    public void Bind_UnknownWorkflowOrTooManyArguments_OneErrorForTheRequest()
    {
        var unknown = Binder.Bind(new BindRequest("NoSuchWorkflow", null, null, []));
        var tooMany = Binder.Bind(new BindRequest("OrderWorkflow", WorkflowHandlerKind.Query, "Lines", ["x"]));

        Assert.Equal("This worker has no workflow 'NoSuchWorkflow' (it has: OrderWorkflow, SampleWorkflow).", Assert.Single(unknown.Errors).Message);
        Assert.Equal("Query 'Lines' of OrderWorkflow takes 0 arguments (no arguments), got 1.", Assert.Single(tooMany.Errors).Message);
    }

    private static WorkflowCatalog Catalog() => WorkflowCatalog.Of([
        KeyValuePair.Create<string, IReadOnlyList<DomainDescriptor>>("sample-queue", [Sample]),
        KeyValuePair.Create<string, IReadOnlyList<DomainDescriptor>>("orders", [Orders]),
    ]);
}
