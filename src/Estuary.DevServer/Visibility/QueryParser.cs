using System.Globalization;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Visibility;

/// <summary>
/// Recursive-descent parser for Temporal's SQL-like list filter:
/// <code>
/// query      := [or] [GROUP BY name] [ORDER BY name [ASC|DESC] {, name [ASC|DESC]}]
/// or         := and {OR and}
/// and        := not {AND not}
/// not        := NOT not | '(' or ')' | predicate
/// predicate  := name op literal | name [NOT] IN '(' literal {, literal} ')' | name [NOT] BETWEEN literal AND literal
///             | name [NOT] STARTS_WITH literal | name IS [NOT] NULL
/// </code>
/// Names resolve against the namespace's search attributes and literals are checked against their types while parsing,
/// so an invalid query fails before any run is looked at.
/// </summary>
internal sealed class QueryParser
{
    private readonly List<Token> _tokens;
    private readonly Func<string, IndexedValueType?> _resolve;
    private int _next;

    private QueryParser(string query, Func<string, IndexedValueType?> resolve)
    {
        _tokens = QueryTokenizer.Tokenize(query);
        _resolve = resolve;
    }

    /// <summary>Parses <paramref name="query"/>; <paramref name="resolve"/> gives a search attribute's type, or null when it is not defined.</summary>
    /// <exception cref="InvalidQueryException">The query is malformed, names an unknown attribute or compares it with a value of the wrong type.</exception>
    public static VisibilityQuery Parse(string query, Func<string, IndexedValueType?> resolve) => new QueryParser(query, resolve).ParseQuery();

    private Token Peek => _tokens[_next];

    private Token Take() => _tokens[_next++];

    private bool TakeKeyword(string keyword)
    {
        if (Peek.IsKeyword(keyword))
        {
            _next++;
            return true;
        }
        return false;
    }

    private void ExpectKeyword(string keyword, string context)
    {
        if (!TakeKeyword(keyword))
        {
            throw new InvalidQueryException($"expected {keyword} {context} but found {Peek.Describe()}");
        }
    }

    private void Expect(TokenKind kind, string what, string context)
    {
        if (Peek.Kind != kind)
        {
            throw new InvalidQueryException($"expected {what} {context} but found {Peek.Describe()}");
        }
        _next++;
    }

    private VisibilityQuery ParseQuery()
    {
        QueryExpression? filter = null;
        if (Peek.Kind != TokenKind.End && !IsClauseStart())
        {
            filter = ParseOr();
        }
        SearchAttributeRef? groupBy = null;
        IReadOnlyList<OrderByItem> orderBy = [];
        if (TakeKeyword("GROUP"))
        {
            ExpectKeyword("BY", "after GROUP");
            groupBy = ParseGroupBy();
        }
        if (TakeKeyword("ORDER"))
        {
            ExpectKeyword("BY", "after ORDER");
            orderBy = ParseOrderBy();
        }
        if (Peek.Kind != TokenKind.End)
        {
            throw new InvalidQueryException(Peek.IsKeyword("GROUP")
                ? "GROUP BY must come before ORDER BY"
                : $"unexpected {Peek.Describe()}");
        }
        return new VisibilityQuery(filter, orderBy, groupBy);
    }

    private bool IsClauseStart() =>
        (Peek.IsKeyword("ORDER") || Peek.IsKeyword("GROUP")) && _tokens[_next + 1].IsKeyword("BY");

    private QueryExpression ParseOr()
    {
        var left = ParseAnd();
        while (TakeKeyword("OR"))
        {
            left = new OrExpression(left, ParseAnd());
        }
        return left;
    }

    private QueryExpression ParseAnd()
    {
        var left = ParseNot();
        while (TakeKeyword("AND"))
        {
            left = new AndExpression(left, ParseNot());
        }
        return left;
    }

    private QueryExpression ParseNot()
    {
        if (TakeKeyword("NOT"))
        {
            return new NotExpression(ParseNot());
        }
        if (Peek.Kind == TokenKind.LeftParen)
        {
            var open = Take();
            var inner = ParseOr();
            Expect(TokenKind.RightParen, "')'", $"to close the '(' at position {open.Position}");
            return inner;
        }
        return ParsePredicate();
    }

    private SearchAttributeRef ParseAttribute(string context)
    {
        var token = Peek;
        if (token.Kind != TokenKind.Identifier || (!token.Quoted && IsReserved(token.Text)))
        {
            throw new InvalidQueryException($"expected a search attribute name {context} but found {token.Describe()}");
        }
        _next++;
        var type = _resolve(token.Text) ?? throw new InvalidQueryException($"unknown search attribute '{token.Text}'");
        return new SearchAttributeRef(token.Text, type);
    }

    private static bool IsReserved(string word) => word.ToUpperInvariant() is
        "AND" or "OR" or "NOT" or "IN" or "BETWEEN" or "IS" or "NULL" or "STARTS_WITH" or "ORDER" or "GROUP" or "BY"
        or "ASC" or "DESC" or "TRUE" or "FALSE";

    private QueryExpression ParsePredicate()
    {
        var attribute = ParseAttribute("at the start of a condition");
        var token = Peek;
        if (token.Kind == TokenKind.Operator)
        {
            _next++;
            var op = token.Text switch
            {
                "=" => ComparisonOperator.Equal,
                "!=" or "<>" => ComparisonOperator.NotEqual,
                "<" => ComparisonOperator.Less,
                "<=" => ComparisonOperator.LessOrEqual,
                ">" => ComparisonOperator.Greater,
                _ => ComparisonOperator.GreaterOrEqual,
            };
            if (op is not (ComparisonOperator.Equal or ComparisonOperator.NotEqual))
            {
                RequireRange(attribute, token.Text);
            }
            return new ComparisonExpression(attribute, op, ParseLiteral(attribute));
        }
        if (TakeKeyword("IS"))
        {
            var negated = TakeKeyword("NOT");
            ExpectKeyword("NULL", $"after IS{(negated ? " NOT" : "")}");
            return new IsNullExpression(attribute, negated);
        }
        var not = TakeKeyword("NOT");
        if (TakeKeyword("IN"))
        {
            RequireNotText(attribute, not ? "NOT IN" : "IN");
            Expect(TokenKind.LeftParen, "'('", "after IN");
            var values = new List<object> { ParseLiteral(attribute) };
            while (Peek.Kind == TokenKind.Comma)
            {
                _next++;
                values.Add(ParseLiteral(attribute));
            }
            Expect(TokenKind.RightParen, "')' or ','", "in the IN list");
            return new InExpression(attribute, values, not);
        }
        if (TakeKeyword("BETWEEN"))
        {
            RequireRange(attribute, not ? "NOT BETWEEN" : "BETWEEN");
            var low = ParseLiteral(attribute);
            ExpectKeyword("AND", "between the two values of BETWEEN");
            var high = ParseLiteral(attribute);
            return new BetweenExpression(attribute, low, high, not);
        }
        if (TakeKeyword("STARTS_WITH"))
        {
            if (attribute.Type is not (IndexedValueType.Keyword or IndexedValueType.KeywordList))
            {
                throw Unsupported(not ? "NOT STARTS_WITH" : "STARTS_WITH", attribute);
            }
            return new StartsWithExpression(attribute, (string)ParseLiteral(attribute), not);
        }
        if (IsUnsupportedOperator(Peek, out var name))
        {
            throw new InvalidQueryException($"operator {name} is not supported (at position {Peek.Position})");
        }
        throw new InvalidQueryException($"expected a comparison operator after '{attribute.Name}' but found {Peek.Describe()}");
    }

    private static bool IsUnsupportedOperator(Token token, out string name)
    {
        name = token.Text.ToUpperInvariant();
        return token.Kind == TokenKind.Identifier && !token.Quoted && name is "LIKE" or "ILIKE" or "REGEXP" or "RLIKE" or "MATCH";
    }

    private static void RequireRange(SearchAttributeRef attribute, string op)
    {
        if (attribute.Type is IndexedValueType.Text or IndexedValueType.KeywordList or IndexedValueType.Bool)
        {
            throw Unsupported(op, attribute);
        }
    }

    private static void RequireNotText(SearchAttributeRef attribute, string op)
    {
        if (attribute.Type == IndexedValueType.Text)
        {
            throw Unsupported(op, attribute);
        }
    }

    private static InvalidQueryException Unsupported(string op, SearchAttributeRef attribute) =>
        new($"operator {op} is not supported for {attribute.Type} search attribute '{attribute.Name}'");

    /// <summary>Reads one value and converts it to the attribute's type.</summary>
    private object ParseLiteral(SearchAttributeRef attribute)
    {
        var token = Take();
        var value = token.Kind switch
        {
            TokenKind.String => FromString(attribute, token.Text),
            TokenKind.Number => FromNumber(attribute.Type, token.Text),
            TokenKind.Identifier when token.IsKeyword("TRUE") || token.IsKeyword("FALSE") =>
                attribute.Type == IndexedValueType.Bool ? token.IsKeyword("TRUE") : null,
            TokenKind.Identifier => throw new InvalidQueryException(
                $"expected a value for '{attribute.Name}' but found {token.Describe()} (put string values in quotes)"),
            _ => throw new InvalidQueryException($"expected a value for '{attribute.Name}' but found {token.Describe()}"),
        };
        return value ?? throw new InvalidQueryException(
            $"invalid value {token.Describe()} for {attribute.Type} search attribute '{attribute.Name}'{ExpectedForm(attribute)}");
    }

    private static object? FromString(SearchAttributeRef attribute, string text) => attribute.Type switch
    {
        IndexedValueType.Int when attribute.Name == SystemSearchAttributes.ExecutionDuration.Name => QueryValues.ParseDurationNanos(text),
        IndexedValueType.Keyword or IndexedValueType.KeywordList or IndexedValueType.Text =>
            attribute.Name == SystemSearchAttributes.ExecutionStatus.Name ? ParseStatus(text) : text,
        IndexedValueType.Datetime =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed.UtcDateTime : null,
        _ => null,
    };

    private static object? FromNumber(IndexedValueType type, string text)
    {
        switch (type)
        {
            case IndexedValueType.Int when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer):
                return integer;
            case IndexedValueType.Double:
                return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            // Temporal also accepts a datetime as nanoseconds since the Unix epoch.
            case IndexedValueType.Datetime when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var nanos):
                return DateTime.UnixEpoch.AddTicks(nanos / 100);
            default:
                return null;
        }
    }

    private static string ExpectedForm(SearchAttributeRef attribute) => attribute.Type switch
    {
        IndexedValueType.Int when attribute.Name == SystemSearchAttributes.ExecutionDuration.Name =>
            ": expected nanoseconds or a duration in quotes, e.g. '1h30m', '250ms' or '01:30:00'",
        IndexedValueType.Int => ": expected an integer",
        IndexedValueType.Double => ": expected a number",
        IndexedValueType.Bool => ": expected true or false",
        IndexedValueType.Datetime => ": expected an RFC 3339 date and time in quotes, e.g. '2025-01-31T12:00:00Z'",
        _ => ": expected a string in quotes",
    };

    private static string ParseStatus(string text)
    {
        foreach (var status in SystemSearchAttributes.StatusNames)
        {
            if (string.Equals(status, text, StringComparison.OrdinalIgnoreCase))
            {
                return status;
            }
        }
        throw new InvalidQueryException(
            $"invalid ExecutionStatus value '{text}': expected one of {string.Join(", ", SystemSearchAttributes.StatusNames)}");
    }

    private SearchAttributeRef ParseGroupBy()
    {
        var attribute = ParseAttribute("after GROUP BY");
        if (attribute.Name != SystemSearchAttributes.ExecutionStatus.Name)
        {
            throw new InvalidQueryException($"GROUP BY is supported only for ExecutionStatus, not '{attribute.Name}'");
        }
        if (Peek.Kind == TokenKind.Comma)
        {
            throw new InvalidQueryException("GROUP BY supports a single attribute");
        }
        return attribute;
    }

    private List<OrderByItem> ParseOrderBy()
    {
        var items = new List<OrderByItem>();
        while (true)
        {
            var attribute = ParseAttribute("in ORDER BY");
            if (attribute.Type is IndexedValueType.Text or IndexedValueType.KeywordList)
            {
                throw new InvalidQueryException($"cannot ORDER BY {attribute.Type} search attribute '{attribute.Name}'");
            }
            var descending = TakeKeyword("DESC");
            if (!descending)
            {
                TakeKeyword("ASC");
            }
            items.Add(new OrderByItem(attribute, descending));
            if (Peek.Kind != TokenKind.Comma)
            {
                return items;
            }
            _next++;
        }
    }
}
