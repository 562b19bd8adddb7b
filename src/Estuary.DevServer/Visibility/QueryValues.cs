namespace Estuary.DevServer.Visibility;

/// <summary>Comparison rules shared by filters and ORDER BY.</summary>
internal static class QueryValues
{
    /// <summary>Orders two values of the same search attribute type (ints and doubles compare numerically).</summary>
    public static int Compare(object left, object right) => (left, right) switch
    {
        (string a, string b) => string.CompareOrdinal(a, b),
        (long a, long b) => a.CompareTo(b),
        (long a, double b) => ((double)a).CompareTo(b),
        (double a, long b) => a.CompareTo(b),
        (double a, double b) => a.CompareTo(b),
        (bool a, bool b) => a.CompareTo(b),
        (DateTime a, DateTime b) => a.CompareTo(b),
        _ => throw new InvalidOperationException($"Cannot compare {left.GetType().Name} with {right.GetType().Name}."),
    };

    /// <summary>Text search: every word of the query occurs as a word of the value, ignoring case.</summary>
    public static bool TextMatches(string value, string query)
    {
        var words = Words(value);
        return Words(query).All(words.Contains);
    }

    private static HashSet<string> Words(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(word => word.Trim('.', ',', ';', ':', '!', '?', '"', '\'', '(', ')'))
            .Where(word => word.Length > 0)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
}
