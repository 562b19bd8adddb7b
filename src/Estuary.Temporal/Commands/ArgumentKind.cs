namespace Estuary.Temporal.Commands;

/// <summary>How an argument of a workflow, signal, query or update is typed in (see <see cref="WorkflowArgumentBinder.KindOf"/>).</summary>
public enum ArgumentKind
{
    /// <summary>Text, as typed.</summary>
    Text,

    /// <summary>A whole number.</summary>
    WholeNumber,

    /// <summary>A number with decimals.</summary>
    Number,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>One of the names of an enum.</summary>
    Enum,

    /// <summary>A date and time, ISO 8601 (<c>2030-01-01T09:00:00Z</c>).</summary>
    DateTime,

    /// <summary>A date (<c>2030-01-01</c>).</summary>
    Date,

    /// <summary>A time of day (<c>09:00:00</c>).</summary>
    Time,

    /// <summary>A duration, <c>[d.]hh:mm:ss</c>.</summary>
    Duration,

    /// <summary>A GUID (<c>00000000-0000-0000-0000-000000000001</c>).</summary>
    Uuid,

    /// <summary>A record, list or dictionary, as JSON.</summary>
    Json,
}
