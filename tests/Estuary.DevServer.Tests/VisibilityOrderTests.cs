using Estuary.DevServer.Visibility;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Tests;

public sealed class VisibilityOrderTests
{
    private static readonly DateTime T0 = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private sealed record Run(string RunId, int StartMinute, int? CloseMinute, long? Size) : IVisibilityRecord
    {
        public object? Get(SearchAttributeRef attribute) => attribute.Name switch
        {
            "RunId" => RunId,
            "StartTime" => T0.AddMinutes(StartMinute),
            "CloseTime" => CloseMinute is { } close ? T0.AddMinutes(close) : null,
            "Size" => Size,
            _ => null,
        };
    }

    private static readonly Run[] Runs =
    [
        new("a", 1, 10, 5),
        new("b", 2, null, null),
        new("c", 3, 20, 5),
        new("d", 4, null, 1),
        new("e", 4, 10, 9),
    ];

    private static List<string> Sorted(params OrderByItem[] orderBy) => new VisibilityOrder(orderBy).Sort(Runs).Select(r => r.RunId).ToList();

    [Fact]
    public void Sort_NoOrderBy_OpenFirstThenNewestCloseThenNewestStartThenRunId()
    {
        Assert.Equal(["d", "b", "c", "e", "a"], Sorted());
    }

    [Fact]
    public void Sort_OrderBy_KeysFirstUnsetLastDefaultOrderBreaksTies()
    {
        var size = new SearchAttributeRef("Size", IndexedValueType.Int);
        Assert.Equal(["d", "c", "a", "e", "b"], Sorted(new OrderByItem(size, Descending: false)));
        Assert.Equal(["e", "c", "a", "d", "b"], Sorted(new OrderByItem(size, Descending: true)));
        Assert.Equal(["a", "b", "c", "e", "d"], Sorted(new OrderByItem(SystemSearchAttributes.StartTime, Descending: false), new OrderByItem(SystemSearchAttributes.RunId, Descending: true)));
    }
}
