using Estuary.Cli.Commands;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Estuary.Worker.Bookings;
using Estuary.Worker.Example;
using Estuary.Worker.Payments;
using Microsoft.Extensions.Configuration;

namespace Estuary.Cli;

/// <summary>The <c>estuary</c> executable: every domain of the solution behind one command line.</summary>
public static class CliHost
{
    /// <summary>Gets the domains this executable knows (<c>estuary new domain</c> adds a new one at the end).</summary>
    public static IReadOnlyList<EstuaryDomain> Domains { get; } =
        [new ExampleDomain(), new BookingsDomain(), new PaymentsDomain()];

    /// <summary>Runs the command line against the console, with configuration from <c>appsettings.json</c> and the
    /// environment (e.g. <c>Temporal__Address</c>); Ctrl+C stops a running command.</summary>
    /// <param name="args">The process arguments.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        // Temporal is found from the flags, then configuration, then Temporal's own environment (TEMPORAL_*, profile file).
        var commandLine = new EstuaryCommandLine(Domains, configuration, Console.Out, Console.Error, TemporalConnectionSources.Default);
        return await commandLine.RunAsync(args, cancellation.Token);
    }
}
