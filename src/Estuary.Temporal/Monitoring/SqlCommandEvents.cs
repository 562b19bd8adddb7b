using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Estuary.Temporal.Monitoring;

/// <summary>
/// Records each command a domain's DbContext runs as a <c>db.query</c> event on the current span (inside an activity,
/// its <c>RunActivity</c> span), the default of <see cref="SqlTelemetry"/>: the trace shows every statement of an
/// activity, when it ran and how long it took, at the cost of an event instead of a span of its own. Tags:
/// <c>db.system.name</c>, <c>db.namespace</c> (the database), <c>db.query.text</c>, <c>db.duration_ms</c> and, when the
/// command failed, <c>error.type</c>. Nothing is recorded when no span is being recorded.
/// </summary>
public sealed class SqlCommandEvents : DbCommandInterceptor
{
    /// <summary>The name of the events.</summary>
    public const string EventName = "db.query";

    /// <summary>Gets the instance; it holds no state.</summary>
    public static SqlCommandEvents Instance { get; } = new();

    /// <inheritdoc />
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Record(command, eventData, null);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Record(command, eventData, null);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Record(command, eventData, null);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<int> NonQueryExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Record(command, eventData, null);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Record(command, eventData, null);
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<object?> ScalarExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Record(command, eventData, null);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) =>
        Record(command, eventData, eventData.Exception);

    /// <inheritdoc />
    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Record(command, eventData, eventData.Exception);
        return Task.CompletedTask;
    }

    private static void Record(DbCommand command, CommandEndEventData eventData, Exception? failure)
    {
        if (Activity.Current is not { IsAllDataRequested: true } span)
        {
            return;
        }

        var tags = new ActivityTagsCollection
        {
            { "db.system.name", "postgresql" },
            { "db.namespace", command.Connection?.Database },
            { "db.query.text", command.CommandText },
            { "db.duration_ms", eventData.Duration.TotalMilliseconds },
        };
        if (failure is not null)
        {
            tags.Add("error.type", failure.GetType().FullName);
        }

        span.AddEvent(new ActivityEvent(EventName, eventData.StartTime, tags));
    }
}
