using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Visibility;

/// <summary>A search attribute named in a query, with the type it is indexed as.</summary>
internal sealed record SearchAttributeRef(string Name, IndexedValueType Type);

/// <summary>The values a query is evaluated against: one workflow run's system and custom search attributes.</summary>
internal interface IVisibilityRecord
{
    /// <summary>
    /// The attribute's value as <see cref="string"/>, <see cref="long"/>, <see cref="double"/>, <see cref="bool"/>,
    /// <see cref="DateTime"/> (UTC) or a list of strings (keyword lists); null when it is not set.
    /// </summary>
    object? Get(SearchAttributeRef attribute);
}

internal enum ComparisonOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary>
/// A node of a parsed query's filter. Evaluation is three-valued as in SQL: a comparison with an attribute that is
/// not set is unknown (null), NOT of unknown stays unknown, and only runs whose filter is true are listed.
/// </summary>
internal abstract record QueryExpression
{
    public abstract bool? Evaluate(IVisibilityRecord record);

    public bool Matches(IVisibilityRecord record) => Evaluate(record) == true;
}

internal sealed record AndExpression(QueryExpression Left, QueryExpression Right) : QueryExpression
{
    public override bool? Evaluate(IVisibilityRecord record)
    {
        // bool?'s & is SQL's three-valued AND; the right side is not evaluated once the left is false.
        var left = Left.Evaluate(record);
        return left == false ? false : left & Right.Evaluate(record);
    }
}

internal sealed record OrExpression(QueryExpression Left, QueryExpression Right) : QueryExpression
{
    public override bool? Evaluate(IVisibilityRecord record)
    {
        // bool?'s | is SQL's three-valued OR; the right side is not evaluated once the left is true.
        var left = Left.Evaluate(record);
        return left == true ? true : left | Right.Evaluate(record);
    }
}

internal sealed record NotExpression(QueryExpression Operand) : QueryExpression
{
    public override bool? Evaluate(IVisibilityRecord record) => !Operand.Evaluate(record);
}

/// <summary><c>Attr op value</c>. On a keyword list (or a Keyword holding several values) <c>=</c> means "contains".</summary>
internal sealed record ComparisonExpression(SearchAttributeRef Attribute, ComparisonOperator Operator, object Value) : QueryExpression
{
    public override bool? Evaluate(IVisibilityRecord record)
    {
        var actual = record.Get(Attribute);
        if (actual is null)
        {
            return null;
        }
        if (actual is IReadOnlyList<string> list)
        {
            return Operator switch
            {
                ComparisonOperator.Equal => list.Contains((string)Value, StringComparer.Ordinal),
                ComparisonOperator.NotEqual => !list.Contains((string)Value, StringComparer.Ordinal),
                // Only a Keyword written as several values gets here: a range holds when it holds for any of them.
                _ => list.Any(element => Holds(QueryValues.Compare(element, Value))),
            };
        }
        if (Attribute.Type == IndexedValueType.Text)
        {
            var matches = QueryValues.TextMatches((string)actual, (string)Value);
            return Operator == ComparisonOperator.NotEqual ? !matches : matches;
        }
        return Holds(QueryValues.Compare(actual, Value));
    }

    private bool Holds(int order) => Operator switch
    {
        ComparisonOperator.Equal => order == 0,
        ComparisonOperator.NotEqual => order != 0,
        ComparisonOperator.Less => order < 0,
        ComparisonOperator.LessOrEqual => order <= 0,
        ComparisonOperator.Greater => order > 0,
        _ => order >= 0,
    };
}

/// <summary><c>Attr [NOT] IN (v1, v2, …)</c>; on a keyword list: whether any element is one of the values.</summary>
internal sealed record InExpression(SearchAttributeRef Attribute, IReadOnlyList<object> Values, bool Negated) : QueryExpression
{
    public override bool? Evaluate(IVisibilityRecord record)
    {
        var actual = record.Get(Attribute);
        if (actual is null)
        {
            return null;
        }
        var found = actual is IReadOnlyList<string> list
            ? list.Any(element => Values.Contains(element))
            : Values.Any(value => QueryValues.Compare(actual, value) == 0);
        return found != Negated;
    }
}

/// <summary><c>Attr [NOT] BETWEEN low AND high</c>, both ends included.</summary>
internal sealed record BetweenExpression(SearchAttributeRef Attribute, object Low, object High, bool Negated) : QueryExpression
{
    public override bool? Evaluate(IVisibilityRecord record)
    {
        var actual = record.Get(Attribute);
        if (actual is null)
        {
            return null;
        }
        var inside = actual is IReadOnlyList<string> list ? list.Any(Inside) : Inside(actual);
        return inside != Negated;
    }

    private bool Inside(object value) => QueryValues.Compare(value, Low) >= 0 && QueryValues.Compare(value, High) <= 0;
}

/// <summary><c>Attr [NOT] STARTS_WITH 'prefix'</c> on keywords (case-sensitive).</summary>
internal sealed record StartsWithExpression(SearchAttributeRef Attribute, string Prefix, bool Negated) : QueryExpression
{
    public override bool? Evaluate(IVisibilityRecord record)
    {
        var actual = record.Get(Attribute);
        if (actual is null)
        {
            return null;
        }
        var starts = actual is IReadOnlyList<string> list
            ? list.Any(element => element.StartsWith(Prefix, StringComparison.Ordinal))
            : ((string)actual).StartsWith(Prefix, StringComparison.Ordinal);
        return starts != Negated;
    }
}

/// <summary><c>Attr IS [NOT] NULL</c>: whether the attribute is set (an empty keyword list counts as not set).</summary>
internal sealed record IsNullExpression(SearchAttributeRef Attribute, bool Negated) : QueryExpression
{
    public override bool? Evaluate(IVisibilityRecord record)
    {
        var isNull = record.Get(Attribute) is null or IReadOnlyList<string> { Count: 0 };
        return isNull != Negated;
    }
}

/// <summary>One <c>ORDER BY</c> key.</summary>
internal sealed record OrderByItem(SearchAttributeRef Attribute, bool Descending);

/// <summary>A parsed visibility query: an optional filter, ORDER BY keys and an optional GROUP BY attribute.</summary>
internal sealed record VisibilityQuery(QueryExpression? Filter, IReadOnlyList<OrderByItem> OrderBy, SearchAttributeRef? GroupBy)
{
    public bool Matches(IVisibilityRecord record) => Filter is null || Filter.Matches(record);
}
