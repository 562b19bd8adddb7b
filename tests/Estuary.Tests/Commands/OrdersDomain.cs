using Estuary.Temporal.Domains;
using Temporalio.Workflows;

namespace Estuary.Tests.Commands;

/// <summary>A domain of this test assembly whose workflow has signals, queries and updates with typed arguments.</summary>
internal sealed class OrdersDomain : EstuaryDomain
{
    public override string Name => "orders";

    public override string Description => "Signal, query and update fixtures";

    public override IEnumerable<Type> Types => [typeof(OrderWorkflow)];
}

/// <summary>An order to take.</summary>
/// <param name="Reference">Its reference.</param>
/// <param name="Options">How it is taken, if not the default way.</param>
public sealed record OrderInput(string Reference, OrderOptions? Options = null);

/// <summary>How an order is taken; a class with a <c>required</c> member.</summary>
public sealed class OrderOptions
{
    public required string Channel { get; init; }

    public int Priority { get; init; }
}

/// <summary>One line of an order.</summary>
/// <param name="Sku">The article.</param>
/// <param name="Quantity">How many.</param>
public sealed record OrderLine(string Sku, int Quantity);

/// <summary>What an order came to.</summary>
/// <param name="Reference">Its reference.</param>
/// <param name="Items">How many articles in all.</param>
/// <param name="Note">The note it was closed with.</param>
public sealed record OrderSummary(string Reference, int Items, string? Note);

/// <summary>Collects lines (signal <c>AddLine</c>, update <c>SetQuantity</c>) until closed (signal <c>Close</c>).</summary>
[Workflow]
public sealed class OrderWorkflow
{
    private readonly List<OrderLine> _lines = [];
    private bool _closed;
    private string? _note;

    [WorkflowQuery("Lines")]
    public IReadOnlyList<OrderLine> Lines => _lines;

    [WorkflowRun]
    public async Task<OrderSummary> RunAsync(OrderInput input)
    {
        await Workflow.WaitConditionAsync(() => _closed);
        return new OrderSummary(input.Reference, _lines.Sum(l => l.Quantity), _note);
    }

    [WorkflowSignal("AddLine")]
    public Task AddLineAsync(OrderLine line)
    {
        _lines.Add(line);
        return Task.CompletedTask;
    }

    [WorkflowSignal("Close")]
    public Task CloseAsync(string? note = null)
    {
        _closed = true;
        _note = note;
        return Task.CompletedTask;
    }

    [WorkflowQuery("Count")]
    public int Count(string sku) => _lines.Where(l => l.Sku == sku).Sum(l => l.Quantity);

    [WorkflowUpdate("SetQuantity")]
    public Task<int> SetQuantityAsync(string sku, int quantity)
    {
        _lines.RemoveAll(l => l.Sku == sku);
        _lines.Add(new OrderLine(sku, quantity));
        return Task.FromResult(_lines.Sum(l => l.Quantity));
    }

    [WorkflowUpdateValidator(nameof(SetQuantityAsync))]
    public void ValidateSetQuantity(string sku, int quantity)
    {
        if (quantity < 0)
        {
            throw new ArgumentException($"The quantity of {sku} must not be negative, got {quantity}.");
        }
    }
}
