using System.Globalization;
using System.Text.RegularExpressions;

namespace Estuary.DevServer.Visibility;

/// <summary>Comparison rules shared by filters and ORDER BY.</summary>
internal static partial class QueryValues
{
    /// <summary>
    /// A duration as Temporal's queries accept it, in nanoseconds: Go's notation (<c>1h30m</c>, <c>1.5s</c>, <c>250ms</c>,
    /// <c>10us</c>, <c>5ns</c>, plus <c>d</c> for days) or <c>[d.]hh:mm:ss[.fff]</c>; null when it is neither.
    /// </summary>
    public static long? ParseDurationNanos(string text)
    {
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span.Ticks * 100 : null;
        }
        var match = GoDuration().Match(text);
        if (!match.Success)
        {
            return null;
        }
        decimal nanos = 0;
        for (var i = 0; i < match.Groups["value"].Captures.Count; i++)
        {
            var value = decimal.Parse(match.Groups["value"].Captures[i].Value, CultureInfo.InvariantCulture);
            nanos += value * match.Groups["unit"].Captures[i].Value switch
            {
                "ns" => 1m,
                "us" or "µs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => 86_400_000_000_000m,
            };
        }
        return nanos <= long.MaxValue ? (long)nanos : null;
    }

    [GeneratedRegex(@"^(?:(?<value>\d+(?:\.\d+)?)(?<unit>ns|us|µs|ms|s|m|h|d))+$", RegexOptions.CultureInvariant)]
    private static partial Regex GoDuration();

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

    /// <summary>
    /// Text search as Temporal documents it: values and queries are split into words (at every character that is
    /// not a letter or digit) and <c>=</c> matches when any word of the query is a word of the value, ignoring case.
    /// </summary>
    public static bool TextMatches(string value, string query)
    {
        var words = Words(value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return Words(query).Any(words.Contains);
    }

    private static IEnumerable<string> Words(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
        }
    }
}
