using Estuary.DevServer.Visibility;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Tests;

/// <summary>The visibility query parser on its own: syntax, typing of literals against attributes, and evaluation.</summary>
public sealed class QueryParserTests
{
    private static readonly Dictionary<string, IndexedValueType> Custom = new(StringComparer.Ordinal)
    {
        ["Color"] = IndexedValueType.Keyword,
        ["Size"] = IndexedValueType.Int,
        ["Price"] = IndexedValueType.Double,
        ["Urgent"] = IndexedValueType.Bool,
        ["Due"] = IndexedValueType.Datetime,
        ["Tags"] = IndexedValueType.KeywordList,
        ["Notes"] = IndexedValueType.Text,
        ["My Field"] = IndexedValueType.Keyword,
        ["Region"] = IndexedValueType.Keyword,
    };

    private static IndexedValueType? Resolve(string name) =>
        SystemSearchAttributes.Types.TryGetValue(name, out var system) ? system
        : Custom.TryGetValue(name, out var custom) ? custom
        : null;

    private static VisibilityQuery Parse(string query) => QueryParser.Parse(query, Resolve);

    /// <summary>A record made of plain values; an attribute missing from the dictionary is not set.</summary>
    private sealed class Record(Dictionary<string, object> values) : IVisibilityRecord
    {
        public object? Get(SearchAttributeRef attribute) => values.GetValueOrDefault(attribute.Name);
    }

    private static readonly Record Sample = new(new Dictionary<string, object>(StringComparer.Ordinal)
    {
        ["WorkflowId"] = "order-42",
        ["RunId"] = "run-1",
        ["WorkflowType"] = "OrderWorkflow",
        ["ExecutionStatus"] = "Running",
        ["StartTime"] = new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc),
        ["Color"] = "blue",
        ["Size"] = 7L,
        ["Price"] = 9.5,
        ["Urgent"] = true,
        ["Due"] = new DateTime(2025, 3, 2, 0, 0, 0, DateTimeKind.Utc),
        ["Tags"] = new List<string> { "a", "b" },
        ["Notes"] = "Ship my-business-id-foobar to the Blue warehouse, quickly.",
        ["ExecutionDuration"] = 90_000_000_000L,
        ["My Field"] = "x",
        // A Keyword written as several values (older SDKs allowed it).
        ["Region"] = new List<string> { "us", "eu" },
    });

    private static bool Matches(string query) => Parse(query).Matches(Sample);

    [Theory]
    [InlineData("", true)]
    [InlineData("WorkflowId = 'order-42'", true)]
    [InlineData("WorkflowId = \"order-42\"", true)]
    [InlineData("WorkflowId != 'order-42'", false)]
    [InlineData("WorkflowId <> 'other'", true)]
    [InlineData("Size > 6 AND Size < 8 AND Size >= 7 AND Size <= 7", true)]
    [InlineData("Size IN (1, 2, 7)", true)]
    [InlineData("Size NOT IN (1, 2, 7)", false)]
    [InlineData("Size BETWEEN 7 AND 10", true)]
    [InlineData("Size NOT BETWEEN 1 AND 6", true)]
    [InlineData("Price > 9", true)]
    [InlineData("Price = 9.5", true)]
    [InlineData("Price < -1e3", false)]
    [InlineData("Urgent = true", true)]
    [InlineData("Urgent = FALSE", false)]
    [InlineData("Due > '2025-03-01T23:59:59Z'", true)]
    [InlineData("Due = '2025-03-02T01:00:00+01:00'", true)]
    [InlineData("Due = '2025-03-02T00:00:00.000000000Z'", true)]
    [InlineData("Due < '2025-03-01T23:59:59.999999999-00:00'", false)]
    [InlineData("StartTime BETWEEN '2025-03-01T00:00:00Z' AND '2025-03-01T12:00:00Z'", true)]
    [InlineData("Tags = 'a'", true)]
    [InlineData("Tags = 'c'", false)]
    [InlineData("Tags != 'c'", true)]
    [InlineData("Tags IN ('c', 'b')", true)]
    [InlineData("Region = 'eu' AND Region != 'ap'", true)]
    [InlineData("Region > 'u'", true)]
    [InlineData("Region BETWEEN 'a' AND 'f'", true)]
    [InlineData("Region BETWEEN 'f' AND 'r'", false)]
    [InlineData("Notes = 'blue WAREHOUSE'", true)]
    [InlineData("Notes = 'green'", false)]
    [InlineData("Notes = 'green warehouse'", true)]
    [InlineData("Notes = 'foobar'", true)]
    [InlineData("Notes = 'foo'", false)]
    [InlineData("Notes != 'foo'", true)]
    [InlineData("ExecutionDuration > '1m'", true)]
    [InlineData("ExecutionDuration < 1000000000", false)]
    [InlineData("ExecutionDuration = '00:01:30'", true)]
    [InlineData("ExecutionDuration BETWEEN '1m29s' AND '1.5m'", true)]
    [InlineData("ExecutionDuration >= '1h'", false)]
    [InlineData("WorkflowId STARTS_WITH 'order-'", true)]
    [InlineData("WorkflowId NOT STARTS_WITH 'order-'", false)]
    [InlineData("ExecutionStatus = 'running'", true)]
    [InlineData("ExecutionStatus IN ('Completed', 'Failed')", false)]
    [InlineData("CloseTime IS NULL", true)]
    [InlineData("CloseTime IS NOT NULL", false)]
    [InlineData("TemporalChangeVersion IS NULL AND BuildIds != 'v1'", false)]
    [InlineData("TemporalChangeVersion IS NULL OR StateTransitionCount > 3", true)]
    [InlineData("`My Field` = 'x'", true)]
    [InlineData("WorkflowId = 'it''s' OR WorkflowId = 'it\\'s' OR Color = 'blue'", true)]
    [InlineData("(Color = 'red' OR Color = 'blue') AND (Size = 1 OR Size = 7)", true)]
    [InlineData("Color = 'red' OR Color = 'blue' AND Size = 1", false)]
    [InlineData("NOT Color = 'red'", true)]
    [InlineData("NOT (Color = 'blue' AND Size = 7)", false)]
    public void Parse_ValidQuery_EvaluatesAsTemporalDoes(string query, bool expected)
    {
        Assert.Equal(expected, Matches(query));
    }

    [Fact]
    public void Parse_CaseOfNamesAndKeywords_NamesAreCaseSensitiveKeywordsAreNot()
    {
        Assert.True(Matches("Color = 'red' or Color = 'blue' And Size in (7)"));
        var error = Assert.Throws<InvalidQueryException>(() => Parse("color = 'blue'"));
        Assert.Contains("unknown search attribute 'color'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnsetAttribute_ComparisonIsUnknownEvenUnderNot()
    {
        var empty = new Record(new Dictionary<string, object>(StringComparer.Ordinal) { ["RunId"] = "r" });
        Assert.False(Parse("Color = 'blue'").Matches(empty));
        Assert.False(Parse("Color != 'blue'").Matches(empty));
        Assert.False(Parse("NOT Color = 'blue'").Matches(empty));
        Assert.True(Parse("Color IS NULL").Matches(empty));
        Assert.True(Parse("Color = 'blue' OR RunId = 'r'").Matches(empty));
    }

    [Fact]
    public void Parse_OrderAndGroupBy_ReadsKeysAndDirections()
    {
        var query = Parse("WorkflowType = 'A' order by StartTime desc, Size, Color ASC");
        Assert.NotNull(query.Filter);
        Assert.Equal(["StartTime", "Size", "Color"], query.OrderBy.Select(o => o.Attribute.Name));
        Assert.Equal([true, false, false], query.OrderBy.Select(o => o.Descending));

        var onlyOrder = Parse("ORDER BY CloseTime");
        Assert.Null(onlyOrder.Filter);
        Assert.Single(onlyOrder.OrderBy);

        Assert.Equal("ExecutionStatus", Parse("TaskQueue = 'q' GROUP BY ExecutionStatus").GroupBy?.Name);
    }

    [Theory]
    [InlineData("Foo = 'x'", "unknown search attribute 'Foo'")]
    [InlineData("Color = 'x' AND Bar > 3", "unknown search attribute 'Bar'")]
    [InlineData("Size = 'big'", "invalid value 'big' for Int search attribute 'Size'")]
    [InlineData("Size = 1.5", "for Int search attribute 'Size'")]
    [InlineData("Color = 5", "for Keyword search attribute 'Color'")]
    [InlineData("Urgent = 'yes'", "for Bool search attribute 'Urgent'")]
    [InlineData("Due > 'tomorrow'", "for Datetime search attribute 'Due'")]
    [InlineData("StartTime > 'yesterday'", "for Datetime search attribute 'StartTime'")]
    [InlineData("ExecutionStatus = 'Sleeping'", "invalid ExecutionStatus value 'Sleeping'")]
    [InlineData("ExecutionDuration > 'soon'", "expected nanoseconds or a duration")]
    [InlineData("ExecutionDuration > '5 minutes'", "for Int search attribute 'ExecutionDuration'")]
    [InlineData("Color = blue", "put string values in quotes")]
    [InlineData("Color 'blue'", "expected a comparison operator after 'Color'")]
    [InlineData("Color =", "expected a value for 'Color' but found end of query")]
    [InlineData("(Color = 'a'", "expected ')'")]
    [InlineData("Color = 'a')", "unexpected ')'")]
    [InlineData("Color = 'a' AND", "expected a search attribute name")]
    [InlineData("Color = 'a", "unterminated string")]
    [InlineData("Color = 'a' ; Size = 1", "unexpected character ';'")]
    [InlineData("Color IN ()", "expected a value for 'Color'")]
    [InlineData("Color IS 'x'", "expected NULL after IS")]
    [InlineData("Size BETWEEN 1 OR 2", "expected AND between the two values of BETWEEN")]
    [InlineData("Color LIKE 'b%'", "operator LIKE is not supported")]
    [InlineData("Notes > 'a'", "operator > is not supported for Text search attribute 'Notes'")]
    [InlineData("Tags BETWEEN 'a' AND 'b'", "operator BETWEEN is not supported for KeywordList search attribute 'Tags'")]
    [InlineData("Size STARTS_WITH '1'", "operator STARTS_WITH is not supported for Int search attribute 'Size'")]
    [InlineData("ORDER BY Notes", "cannot ORDER BY Text search attribute 'Notes'")]
    [InlineData("ORDER BY Nope", "unknown search attribute 'Nope'")]
    [InlineData("GROUP BY WorkflowType", "GROUP BY is supported only for ExecutionStatus")]
    [InlineData("ORDER BY StartTime GROUP BY ExecutionStatus", "GROUP BY must come before ORDER BY")]
    [InlineData("`` = 'x'", "empty backquoted name")]
    public void Parse_InvalidQuery_NamesTheProblem(string query, string expected)
    {
        var error = Assert.Throws<InvalidQueryException>(() => Parse(query));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenize_QuotedKeywordAsName_IsAnIdentifierNotAKeyword()
    {
        var tokens = QueryTokenizer.Tokenize("`AND` = \"a \\\"b\\\"\" <= -12.5e1");
        Assert.Equal([TokenKind.Identifier, TokenKind.Operator, TokenKind.String, TokenKind.Operator, TokenKind.Number, TokenKind.End],
            tokens.Select(t => t.Kind));
        Assert.True(tokens[0].Quoted);
        Assert.False(tokens[0].IsKeyword("AND"));
        Assert.Equal("a \"b\"", tokens[2].Text);
        Assert.Equal("-12.5e1", tokens[4].Text);
    }

    [Fact]
    public void Parse_RandomFragments_FailOnlyWithInvalidQueryException()
    {
        string[] fragments =
        [
            "Color", "Size", "Due", "Tags", "Notes", "Region", "`My Field`", "Nope", "ExecutionStatus", "StartTime", "=", "!=", "<", ">=",
            "AND", "OR", "NOT", "IN", "BETWEEN", "IS", "NULL", "STARTS_WITH", "ORDER", "BY", "GROUP", "DESC", "(", ")", ",",
            "'blue'", "\"x\"", "7", "-1.5e3", "true", "'2025-01-01T00:00:00Z'", "'", "`", "-", ";",
        ];
        var random = new Random(20261126);
        for (var i = 0; i < 5000; i++)
        {
            var query = string.Join(" ", Enumerable.Range(0, random.Next(1, 10)).Select(_ => fragments[random.Next(fragments.Length)]));
            try
            {
                Parse(query).Matches(Sample);
            }
            catch (InvalidQueryException)
            {
            }
        }
    }
}
