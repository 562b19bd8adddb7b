using System.Globalization;
using System.Text;

namespace Estuary.DevServer.Visibility;

internal enum TokenKind
{
    /// <summary>A name or keyword; <see cref="Token.Quoted"/> when written in backquotes (never a keyword then).</summary>
    Identifier,
    String,
    Number,
    Operator,
    LeftParen,
    RightParen,
    Comma,
    End,
}

/// <summary>One token; <see cref="Position"/> is its zero-based offset in the query, for error messages.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Position, bool Quoted = false)
{
    public bool IsKeyword(string keyword) =>
        Kind == TokenKind.Identifier && !Quoted && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);

    public string Describe() => Kind switch
    {
        TokenKind.End => "end of query",
        TokenKind.String => $"'{Text}'",
        _ => $"'{Text}' at position {Position}",
    };
}

/// <summary>Splits a visibility query into tokens: names, quoted strings, numbers, operators and punctuation.</summary>
internal static class QueryTokenizer
{
    public static List<Token> Tokenize(string query)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < query.Length)
        {
            var c = query[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '\'' or '"')
            {
                tokens.Add(ReadString(query, ref i));
            }
            else if (c == '`')
            {
                var end = query.IndexOf('`', i + 1);
                if (end < 0)
                {
                    throw new InvalidQueryException($"unterminated backquoted name at position {i}");
                }
                if (end == i + 1)
                {
                    throw new InvalidQueryException($"empty backquoted name at position {i}");
                }
                tokens.Add(new Token(TokenKind.Identifier, query[(i + 1)..end], i, Quoted: true));
                i = end + 1;
            }
            else if (char.IsAsciiDigit(c) || (c is '-' or '+' or '.' && i + 1 < query.Length && (char.IsAsciiDigit(query[i + 1]) || query[i + 1] == '.')))
            {
                tokens.Add(ReadNumber(query, ref i));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < query.Length && (char.IsLetterOrDigit(query[i]) || query[i] == '_'))
                {
                    i++;
                }
                tokens.Add(new Token(TokenKind.Identifier, query[start..i], start));
            }
            else if (c == '(')
            {
                tokens.Add(new Token(TokenKind.LeftParen, "(", i++));
            }
            else if (c == ')')
            {
                tokens.Add(new Token(TokenKind.RightParen, ")", i++));
            }
            else if (c == ',')
            {
                tokens.Add(new Token(TokenKind.Comma, ",", i++));
            }
            else if (ReadOperator(query, i) is { } op)
            {
                tokens.Add(new Token(TokenKind.Operator, op, i));
                i += op.Length;
            }
            else
            {
                throw new InvalidQueryException($"unexpected character '{c}' at position {i}");
            }
        }
        tokens.Add(new Token(TokenKind.End, "", query.Length));
        return tokens;
    }

    private static string? ReadOperator(string query, int i)
    {
        string[] operators = ["<=", ">=", "!=", "<>", "=", "<", ">"];
        foreach (var op in operators)
        {
            if (string.CompareOrdinal(query, i, op, 0, op.Length) == 0)
            {
                return op;
            }
        }
        return null;
    }

    /// <summary>A string in single or double quotes; backslash escapes the next character and a doubled quote stands for itself.</summary>
    private static Token ReadString(string query, ref int i)
    {
        var start = i;
        var quote = query[i++];
        var text = new StringBuilder();
        while (true)
        {
            if (i >= query.Length)
            {
                throw new InvalidQueryException($"unterminated string starting at position {start}");
            }
            var c = query[i++];
            if (c == '\\' && i < query.Length)
            {
                text.Append(query[i++]);
            }
            else if (c == quote && i < query.Length && query[i] == quote)
            {
                text.Append(quote);
                i++;
            }
            else if (c == quote)
            {
                return new Token(TokenKind.String, text.ToString(), start);
            }
            else
            {
                text.Append(c);
            }
        }
    }

    private static Token ReadNumber(string query, ref int i)
    {
        var start = i;
        if (query[i] is '-' or '+')
        {
            i++;
        }
        while (i < query.Length && (char.IsAsciiDigit(query[i]) || query[i] is '.' or 'e' or 'E'
            || (query[i] is '-' or '+' && query[i - 1] is 'e' or 'E')))
        {
            i++;
        }
        var text = query[start..i];
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            throw new InvalidQueryException($"invalid number '{text}' at position {start}");
        }
        return new Token(TokenKind.Number, text, start);
    }
}
