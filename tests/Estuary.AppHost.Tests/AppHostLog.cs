using Microsoft.Extensions.Logging;

namespace Estuary.AppHost.Tests;

/// <summary>The AppHost's own console lines (logger category <c>Estuary.AppHost</c>), which a test can wait for.</summary>
public sealed class AppHostLog : ILoggerProvider
{
    private const string Category = "Estuary.AppHost";

    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    /// <summary>Gets the lines logged so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Waits for a line that matches (one logged before the call counts).</summary>
    /// <param name="match">What to look for.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The first matching line.</returns>
    public async Task<string> WaitForAsync(Func<string, bool> match, CancellationToken cancellationToken)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (_lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            _waiters.Add((match, found));
        }

        return await found.Task.WaitAsync(cancellationToken);
    }

    public ILogger CreateLogger(string categoryName) => categoryName == Category ? new Logger(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(line);
            }
        }
    }

    private sealed class Logger(AppHostLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Add(formatter(state, exception));
            }
        }
    }
}
