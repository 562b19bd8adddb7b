using System.Globalization;

namespace Estuary.Testing;

/// <summary>
/// How the benchmarks summarise modes measured round by round in one run: each mode against the reference of the same
/// round (a paired ratio, which the machine's drift moves much less than a time), then the median of those ratios with
/// its interquartile range.
/// </summary>
public static class PairedRatios
{
    /// <summary>The ratios <paramref name="numerator"/>[i] / <paramref name="denominator"/>[i], round by round.</summary>
    /// <param name="numerator">One figure per round.</param>
    /// <param name="denominator">One figure per round, as many as <paramref name="numerator"/>.</param>
    /// <returns>One ratio per round.</returns>
    public static IReadOnlyList<double> Of(IReadOnlyList<double> numerator, IReadOnlyList<double> denominator) =>
        [.. numerator.Zip(denominator, (n, d) => n / d)];

    /// <summary>The <paramref name="q"/> quantile, interpolated linearly between the closest ranks.</summary>
    /// <param name="values">At least one value.</param>
    /// <param name="q">Between 0 and 1; 0.5 is the median.</param>
    /// <returns>The quantile.</returns>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToList();
        var position = (sorted.Count - 1) * q;
        var below = (int)Math.Floor(position);
        var above = (int)Math.Ceiling(position);
        return sorted[below] + ((sorted[above] - sorted[below]) * (position - below));
    }

    /// <summary>The median and the interquartile range, as the benchmarks print them: <c>1.023 (0.998–1.051)</c>.</summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The summary.</returns>
    public static string Summary(IEnumerable<double> values)
    {
        var list = values.ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{Quantile(list, 0.5):F3} ({Quantile(list, 0.25):F3}–{Quantile(list, 0.75):F3})");
    }
}
