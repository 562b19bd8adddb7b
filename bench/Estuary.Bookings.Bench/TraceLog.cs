using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Estuary.Bookings.Bench;

/// <summary>Writes the server's debug lines (one per RPC, one per time skip) to a file, each with the milliseconds
/// since the bench started, so the gaps between them show where a lifecycle's wall time goes.</summary>
internal sealed class TraceLog : ILoggerProvider
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private readonly StreamWriter _writer;

    public TraceLog(string path) => _writer = new StreamWriter(path) { AutoFlush = true };

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    /// <summary>Writes a line of the bench's own (run start and end).</summary>
    public void Mark(string text) => Write(text);

    public void Dispose() => _writer.Dispose();

    private void Write(string text)
    {
        lock (_writer)
        {
            _writer.WriteLine(FormattableString.Invariant($"{Clock.Elapsed.TotalMilliseconds,10:F1} {text}"));
        }
    }

    private sealed class Logger(TraceLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Write(formatter(state, exception));
    }
}
