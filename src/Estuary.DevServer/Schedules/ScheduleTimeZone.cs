namespace Estuary.DevServer.Schedules;

/// <summary>
/// The time zone a schedule's calendars are read in: the UTC offset at each instant, and the instants a wall-clock time
/// stands for. A spec's <c>timezone_data</c> (a TZif file) defines the zone itself, and the name is then only a label,
/// as in Temporal. Otherwise <c>timezone_name</c> names a zone of the machine's time zone database: its TZif file read
/// as that data is, as Temporal (Go) reads it, where the machine has one (<c>$TZDIR</c>, else
/// <c>/usr/share/zoneinfo</c>), else <see cref="TimeZoneInfo"/>'s zone. .NET's own reading of those files differs in
/// places: it rounds offsets to the minute, takes the rule times of version 3 files modulo 24 h, and misses the
/// repeated hour of a zone whose daylight-saving time is the negative one (Europe/Dublin).
/// </summary>
internal abstract class ScheduleTimeZone
{
    /// <summary>Coordinated Universal Time, the zone of a spec with neither name nor data.</summary>
    public static ScheduleTimeZone Utc { get; } = new SystemZone(TimeZoneInfo.Utc);

    /// <summary>True when the zone is UTC itself (wall clock and instants coincide).</summary>
    public bool IsUtc => ReferenceEquals(this, Utc);

    /// <summary>The zone of a spec: its TZif data when given, else the named zone (empty or <c>UTC</c>: UTC).</summary>
    /// <exception cref="FormatException">The data is not valid TZif, or the name is no known zone.</exception>
    public static ScheduleTimeZone For(string name, ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty)
        {
            return TzifTimeZone.Parse(data);
        }
        if (string.IsNullOrEmpty(name) || name == "UTC")
        {
            return Utc;
        }
        if (ZoneFile(name) is { } file)
        {
            try
            {
                return TzifTimeZone.Parse(File.ReadAllBytes(file));
            }
            catch (FormatException e)
            {
                throw new FormatException($"unknown time zone '{name}' ({file} is no time zone: {e.Message})", e);
            }
        }
        try
        {
            return new SystemZone(TimeZoneInfo.FindSystemTimeZoneById(name));
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new FormatException($"unknown time zone '{name}' (expected an IANA name such as Europe/Paris)");
        }
    }

    /// <summary>The machine's TZif file of a zone name such as <c>Europe/Paris</c>, or null when it has none.</summary>
    private static string? ZoneFile(string name)
    {
        if (Path.IsPathRooted(name) || name.Split('/').Any(part => part is "" or "." or ".."))
        {
            return null;
        }
        var directory = Environment.GetEnvironmentVariable("TZDIR") is { Length: > 0 } tzdir ? tzdir : "/usr/share/zoneinfo";
        var path = Path.Combine(directory, name);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The zone's UTC offset at an instant (UTC).</summary>
    public abstract TimeSpan OffsetAt(DateTime utc);

    /// <summary>The wall-clock time at an instant (UTC).</summary>
    public DateTime ToLocal(DateTime utc) => DateTime.SpecifyKind(utc + OffsetAt(utc), DateTimeKind.Unspecified);

    /// <summary>
    /// The instants (UTC, earliest first) a wall-clock time stands for: none when a change of offset skips it, two
    /// when one repeats it, else one.
    /// </summary>
    public abstract IEnumerable<DateTime> Instants(DateTime local);

    /// <summary>A zone of the machine's time zone database, through <see cref="TimeZoneInfo"/>.</summary>
    private sealed class SystemZone(TimeZoneInfo zone) : ScheduleTimeZone
    {
        public override TimeSpan OffsetAt(DateTime utc) => zone.GetUtcOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

        public override IEnumerable<DateTime> Instants(DateTime local)
        {
            local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
            if (zone.IsInvalidTime(local))
            {
                return [];
            }
            IEnumerable<TimeSpan> offsets = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).OrderDescending() : [zone.GetUtcOffset(local)];
            return offsets.Select(offset => DateTime.SpecifyKind(local - offset, DateTimeKind.Utc));
        }
    }
}
