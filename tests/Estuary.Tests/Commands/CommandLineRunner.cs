using Estuary.Cli.Commands;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Microsoft.Extensions.Configuration;

namespace Estuary.Tests.Commands;

/// <summary>Runs the CLI in process and captures what a user would see.</summary>
internal static class CommandLineRunner
{
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(IEnumerable<EstuaryDomain> domains, params string[] args) =>
        RunAsync(domains, new CommandLineSettings(), args);

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        IEnumerable<EstuaryDomain> domains, CommandLineSettings settings, params string[] args)
    {
        using var output = new LineWriter();
        using var error = new StringWriter();
        var writer = settings.Output ?? output;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.WithTestKey ? TestEncryption.Settings : [])
            .AddInMemoryCollection(settings.Configuration ?? new Dictionary<string, string?>())
            .Build();
        var exitCode = await new EstuaryCommandLine(
                domains, configuration, writer, error, settings.TemporalSources ?? CommandLineSettings.NoTemporalEnvironment, settings.WorkingDirectory)
            .RunAsync(args, settings.Cancellation);
        return (exitCode, writer.ToString()!, error.ToString());
    }
}

/// <summary>How a test runs the command line.</summary>
/// <param name="Configuration">Configuration keys and values over <see cref="TestEncryption.Settings"/> (default: none).</param>
/// <param name="TemporalSources">Temporal's client environment (default: none, so that the machine's <c>TEMPORAL_*</c>
/// variables and profile file cannot steer a test).</param>
/// <param name="Output">Where standard output goes, to watch it while the command runs (default: captured).</param>
/// <param name="WorkingDirectory">The directory the command runs in (default: the test host's).</param>
/// <param name="WithTestKey">Whether the command holds <see cref="TestEncryption"/>'s key, as the test's workers do (default: yes).</param>
/// <param name="Cancellation">Ctrl+C.</param>
internal sealed record CommandLineSettings(
    IReadOnlyDictionary<string, string?>? Configuration = null,
    TemporalConnectionSources? TemporalSources = null,
    LineWriter? Output = null,
    string? WorkingDirectory = null,
    bool WithTestKey = true,
    CancellationToken Cancellation = default)
{
    public static TemporalConnectionSources NoTemporalEnvironment { get; } = new(Environment: null);
}

/// <summary>Captures what is written, and lets a test wait for a line while the command still runs.</summary>
internal sealed class LineWriter : StringWriter
{
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _watches = [];

    /// <summary>Waits until a line satisfying <paramref name="match"/> has been written.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        lock (_watches)
        {
            if (ToString().Split(NewLine).FirstOrDefault(match) is { } line)
            {
                return Task.FromResult(line);
            }

            var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _watches.Add((match, seen));
            return seen.Task.WaitAsync(Eventually.Patience);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_watches)
        {
            base.WriteLine(value);
            foreach (var (match, seen) in _watches.Where(w => value is not null && w.Match(value)))
            {
                seen.TrySetResult(value!);
            }
        }
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }
}
