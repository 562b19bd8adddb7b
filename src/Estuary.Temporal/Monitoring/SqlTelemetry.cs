using Microsoft.Extensions.Configuration;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// What the traces show of the SQL that domains' DbContexts run, set by <see cref="SqlTelemetrySetting.ConfigurationKey"/>:
/// <see cref="Events"/> (the default), <see cref="Spans"/> or <see cref="None"/>.
/// </summary>
public enum SqlTelemetry
{
    /// <summary>One <c>db.query</c> event per command on the current span (an activity's <c>RunActivity</c>), with the
    /// statement, the database and the duration (<see cref="SqlCommandEvents"/>).</summary>
    Events,

    /// <summary>One span per command, from Npgsql's own instrumentation, under the current span.</summary>
    Spans,

    /// <summary>Nothing of the SQL in the traces (Npgsql's metrics stay).</summary>
    None,
}

/// <summary>Reads <see cref="SqlTelemetry"/> from configuration.</summary>
public static class SqlTelemetrySetting
{
    /// <summary>The configuration key.</summary>
    public const string ConfigurationKey = "Estuary:Telemetry:Sql";

    /// <summary>Reads the setting.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <returns>The configured value, <see cref="SqlTelemetry.Events"/> when unset.</returns>
    /// <exception cref="InvalidOperationException">The value is not one of <see cref="SqlTelemetry"/>'s names; the message names the key.</exception>
    public static SqlTelemetry FromConfiguration(IConfiguration configuration)
    {
        var value = configuration[ConfigurationKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            return SqlTelemetry.Events;
        }

        // By name only: Enum.TryParse would also take numbers and comma-separated combinations.
        return Enum.GetValues<SqlTelemetry>().Cast<SqlTelemetry?>().FirstOrDefault(v => string.Equals(v.ToString(), value.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException(
                $"Configuration key '{ConfigurationKey}' must be {string.Join(", ", Enum.GetNames<SqlTelemetry>())}, got '{value}'.");
    }
}
