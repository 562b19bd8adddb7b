using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Estuary.Tests.Infrastructure;

/// <summary>One log entry with the structured values of every scope active when it was written.</summary>
/// <param name="Category">The logger category.</param>
/// <param name="Level">The level.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Scope">The values of the active scopes, inner scopes winning.</param>
public sealed record LogEntry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Scope);

/// <summary>Keeps every log entry, with its scopes, for assertions.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Seen)> _watches = [];
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>Gets the entries written so far.</summary>
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    /// <summary>Waits until an entry satisfying <paramref name="match"/> has been written (or was already).</summary>
    /// <param name="match">The entry waited for.</param>
    /// <returns>The first such entry.</returns>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match)
    {
        lock (_watches)
        {
            if (Entries.FirstOrDefault(match) is { } entry)
            {
                return Task.FromResult(entry);
            }

            var seen = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _watches.Add((match, seen));
            return seen.Task.WaitAsync(Eventually.Patience);
        }
    }

    private void Add(LogEntry entry)
    {
        lock (_watches)
        {
            Entries.Enqueue(entry);
            foreach (var (_, seen) in _watches.Where(w => w.Match(entry)))
            {
                seen.TrySetResult(entry);
            }
        }
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, object?>(StringComparer.Ordinal);
            owner._scopes.ForEachScope(
                (value, values) =>
                {
                    if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var (key, item) in pairs)
                        {
                            values[key] = item;
                        }
                    }
                },
                scope);
            owner.Add(new LogEntry(category, logLevel, formatter(state, exception), scope));
        }
    }
}
