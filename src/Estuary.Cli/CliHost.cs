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
    /// <summary>Gets the domains this executable knows; adding a domain is one line here.</summary>
    public static IReadOnlyList<EstuaryDomain> Domains { get; } =
        [new ExampleDomain(), new BookingsDomain(), new PaymentsDomain()];

    /// <summary>Runs the command line against the console, with configuration from <c>appsettings.json</c>, the
    /// environment (e.g. <c>Temporal__Address</c>) and a running local AppHost's endpoints file; Ctrl+C stops a running command.</summary>
    /// <param name="args">The process arguments.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        IConfiguration configuration;
        try
        {
            configuration = BuildConfiguration(LocalEndpoints.PathFrom(new ConfigurationBuilder().AddEnvironmentVariables().Build()));
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return EstuaryCommandLine.Usage;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        var commandLine = new EstuaryCommandLine(Domains, configuration, Console.Out, Console.Error);
        return await commandLine.RunAsync(args, cancellation.Token);
    }

    /// <summary>
    /// Builds the command line's configuration: environment variables over <c>appsettings.json</c> over what a running
    /// local AppHost published in <paramref name="localEndpointsFile"/> (<see cref="LocalEndpoints"/>): its Temporal
    /// address and namespace, and its OTLP endpoint, protocol and API key unless an OTLP endpoint is configured.
    /// </summary>
    /// <param name="localEndpointsFile">The AppHost's endpoints file; missing, or left by an AppHost that no longer runs, it adds nothing.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="InvalidOperationException">The endpoints file exists but cannot be read as one; the message names it.</exception>
    public static IConfigurationRoot BuildConfiguration(string localEndpointsFile)
    {
        var own = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var local = LocalEndpoints.Read(localEndpointsFile);
        return new ConfigurationBuilder()
            .AddInMemoryCollection(local?.TemporalConfiguration() ?? [])
            .AddInMemoryCollection(string.IsNullOrWhiteSpace(own[LocalOtlp.EndpointKey]) ? local?.OtlpConfiguration() ?? [] : [])
            .AddConfiguration(own)
            .Build();
    }
}
