using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

/// <summary>How crashed resources are restarted (configuration section <c>Estuary:Supervision</c>).</summary>
public sealed class SupervisionOptions
{
    /// <summary>The wait before the first restart; it doubles with each restart within <see cref="Window"/>.</summary>
    public static readonly TimeSpan InitialDelay = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before a restart.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>Gets a value indicating whether crashed resources are restarted (<c>Enabled</c>, default <c>true</c>).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Gets how many restarts of one resource <see cref="Window"/> may hold before it is left stopped
    /// (<c>MaxRestarts</c>, default 5).</summary>
    public int MaxRestarts { get; init; } = 5;

    /// <summary>Gets the period over which restarts are counted (<c>Window</c>, default 5 minutes).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Reads and validates the options.</summary>
    /// <param name="section">The <c>Estuary:Supervision</c> section.</param>
    /// <returns>Valid options.</returns>
    /// <exception cref="AppHostStartException">A value is invalid; the message names its key.</exception>
    public static SupervisionOptions From(IConfigurationSection section)
    {
        var defaults = new SupervisionOptions();
        return new SupervisionOptions
        {
            Enabled = Parse(section, nameof(Enabled), defaults.Enabled, bool.TryParse, "true or false", _ => true),
            MaxRestarts = Parse(section, nameof(MaxRestarts), defaults.MaxRestarts, int.TryParse, "a whole number, 1 or more", value => value >= 1),
            Window = Parse(section, nameof(Window), defaults.Window, TimeSpan.TryParse, "a positive duration such as 00:05:00", value => value > TimeSpan.Zero),
        };
    }

    /// <summary>Decides what to do when a resource has exited unexpectedly.</summary>
    /// <param name="recentRestarts">How many times it was restarted within <see cref="Window"/>.</param>
    /// <returns>The wait before restarting it, or <c>null</c> to leave it stopped.</returns>
    public TimeSpan? NextDelay(int recentRestarts) =>
        recentRestarts >= MaxRestarts
            ? null
            : TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, InitialDelay.Ticks << Math.Min(recentRestarts, 30)));

    private delegate bool TryParse<T>(string text, out T value);

    private static T Parse<T>(IConfigurationSection section, string key, T fallback, TryParse<T> parse, string expected, Func<T, bool> valid)
    {
        var text = section[key];
        if (text is null)
        {
            return fallback;
        }

        return parse(text.Trim(), out var value) && valid(value)
            ? value
            : throw new AppHostStartException($"Configuration key '{section.Path}:{key}' must be {expected}, got '{text}'.");
    }
}
