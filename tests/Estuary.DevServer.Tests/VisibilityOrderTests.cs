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
            "Region" => new List<string> { RunId == "a" ? "zz" : "mm", RunId },
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

    private static List<string> Sorted(params OrderByItem[] orderBy) =>
        new VisibilityOrder(orderBy).Page(Runs, 100, null).Page.Select(r => r.RunId).ToList();

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

    [Fact]
    public void Sort_OrderByKeywordWithSeveralValues_SortsBySmallest()
    {
        var region = new SearchAttributeRef("Region", IndexedValueType.Keyword);
        Assert.Equal(["a", "b", "c", "d", "e"], Sorted(new OrderByItem(region, Descending: false)));
    }

    [Fact]
    public void Page_CursorFromPreviousPage_ContinuesAfterItAndEndsWithoutCursor()
    {
        var order = new VisibilityOrder([new OrderByItem(new SearchAttributeRef("Size", IndexedValueType.Int), Descending: true)]);
        var (first, cursor1) = order.Page(Runs, 2, null);
        var (second, cursor2) = order.Page(Runs, 2, cursor1);
        var (third, cursor3) = order.Page(Runs, 2, cursor2);

        Assert.Equal(["e", "c"], first.Select(r => r.RunId));
        Assert.Equal(["a", "d"], second.Select(r => r.RunId));
        Assert.Equal(["b"], third.Select(r => r.RunId));
        Assert.NotNull(cursor2);
        Assert.Null(cursor3);
    }

    [Fact]
    public void Page_LastListedRunMovesBeforeNextPage_OthersAreNeitherRepeatedNorSkipped()
    {
        var order = new VisibilityOrder([]);
        var (first, cursor) = order.Page(Runs, 2, null);
        Assert.Equal(["d", "b"], first.Select(r => r.RunId));

        // "b" closes (moving behind every other run) before the next page is asked for.
        Run[] changed = [.. Runs.Select(r => r.RunId == "b" ? r with { CloseMinute = 5 } : r)];
        var (second, _) = order.Page(changed, 10, cursor);

        Assert.Equal(["c", "e", "a", "b"], second.Select(r => r.RunId));
    }

    [Fact]
    public void Page_ForeignCursor_ThrowsFormatException()
    {
        var (_, cursor) = new VisibilityOrder([]).Page(Runs, 1, null);
        var withOrderBy = new VisibilityOrder([new OrderByItem(SystemSearchAttributes.StartTime, Descending: false)]);
        Assert.Throws<FormatException>(() => withOrderBy.Page(Runs, 1, cursor));
        Assert.Throws<FormatException>(() => withOrderBy.Page(Runs, 1, "not json"u8.ToArray()));
    }
}
