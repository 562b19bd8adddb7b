namespace Estuary.DevServer.Schedules;

/// <summary>
/// The time zone a schedule's calendars are read in: the UTC offset at each instant, and the instants a wall-clock time
/// stands for. A spec's <c>timezone_name</c> finds a zone of the machine's time zone database; its <c>timezone_data</c>
/// (a TZif file) defines one itself, and the name is then only a label, as in Temporal.
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
        try
        {
            return new SystemZone(TimeZoneInfo.FindSystemTimeZoneById(name));
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new FormatException($"unknown time zone '{name}' (expected an IANA name such as Europe/Paris)");
        }
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
