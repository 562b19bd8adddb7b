using Estuary.Cli.Commands;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Encryption;
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

    /// <summary>Runs the command line against the console, with configuration from <c>appsettings.json</c>, the
    /// environment (e.g. <c>Temporal__Address</c>) and a running local AppHost's endpoints file; Ctrl+C stops a running command.</summary>
    /// <param name="args">The process arguments.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        IConfiguration configuration;
        TemporalConnectionSources temporalSources;
        try
        {
            var endpointsFile = LocalEndpoints.PathFrom(new ConfigurationBuilder().AddEnvironmentVariables().Build());
            var local = LocalEndpoints.Read(endpointsFile);
            configuration = BuildConfiguration(local, LocalEncryption.UserSecretsFile);
            temporalSources = TemporalSources(local, endpointsFile);
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

        // Temporal is found from the flags, then configuration, then Temporal's own environment (TEMPORAL_*, profile
        // file), then a running local AppHost's endpoints file.
        var commandLine = new EstuaryCommandLine(Domains, configuration, Console.Out, Console.Error, temporalSources);
        return await commandLine.RunAsync(args, cancellation.Token);
    }

    /// <summary>
    /// Builds the command line's configuration: environment variables over user secrets (<c>dotnet user-secrets --project
    /// src/Estuary.Cli</c>) over <c>appsettings.json</c>, and what a running local AppHost published in
    /// <paramref name="localEndpointsFile"/> (<see cref="LocalEndpoints"/>) for what those do not say: the OTLP endpoint,
    /// protocol and API key unless an OTLP endpoint is configured, and the workers' payload keys from the AppHost's user
    /// secrets unless an <c>Estuary:Encryption</c> key is configured.
    /// </summary>
    /// <param name="localEndpointsFile">The AppHost's endpoints file; missing, or left by an AppHost that no longer runs, it adds nothing.</param>
    /// <param name="userSecretsFile">Resolves a user secrets id to its file; by default the standard user secrets location
    /// (<see cref="LocalEncryption.UserSecretsFile"/>).</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="InvalidOperationException">The endpoints file exists but cannot be read as one; the message names it.</exception>
    public static IConfigurationRoot BuildConfiguration(string localEndpointsFile, Func<string, string>? userSecretsFile = null) =>
        BuildConfiguration(LocalEndpoints.Read(localEndpointsFile), userSecretsFile ?? LocalEncryption.UserSecretsFile);

    private static IConfigurationRoot BuildConfiguration(LocalEndpoints? local, Func<string, string> userSecretsFile)
    {
        var own = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddUserSecrets(typeof(CliHost).Assembly, optional: true)
            .AddEnvironmentVariables()
            .Build();
        var encryption = own.GetSection(EncryptionOptions.SectionName);
        var keysConfigured = encryption[nameof(EncryptionOptions.ActiveKey)] is not null
            || encryption.GetSection(nameof(EncryptionOptions.Keys)).GetChildren().Any();
        return new ConfigurationBuilder()
            .AddInMemoryCollection(string.IsNullOrWhiteSpace(own[LocalOtlp.EndpointKey]) ? local?.OtlpConfiguration() ?? [] : [])
            .AddInMemoryCollection(keysConfigured ? [] : local?.EncryptionConfiguration(userSecretsFile) ?? [])
            .AddConfiguration(own)
            .Build();
    }

    /// <summary>
    /// Where the command line finds Temporal besides its flags and configuration: Temporal's own environment
    /// (<c>TEMPORAL_*</c>, profile file), then the Temporal address and namespace a running local AppHost published in
    /// <paramref name="localEndpointsFile"/>, below everything else.
    /// </summary>
    /// <param name="localEndpointsFile">The AppHost's endpoints file; missing, or left by an AppHost that no longer runs, it adds nothing.</param>
    /// <returns>The sources.</returns>
    /// <exception cref="InvalidOperationException">The endpoints file exists but cannot be read as one; the message names it.</exception>
    public static TemporalConnectionSources TemporalSources(string localEndpointsFile) =>
        TemporalSources(LocalEndpoints.Read(localEndpointsFile), localEndpointsFile);

    private static TemporalConnectionSources TemporalSources(LocalEndpoints? local, string localEndpointsFile) =>
        local is not null
            ? TemporalConnectionSources.Default with
            {
                Fallback = new ConfigurationBuilder().AddInMemoryCollection(local.TemporalConfiguration()).Build(),
                FallbackName = $"The Temporal address in the AppHost's endpoints file '{localEndpointsFile}'",
            }
            : TemporalConnectionSources.Default;
}
