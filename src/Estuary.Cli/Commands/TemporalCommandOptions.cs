using System.CommandLine;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Encryption;
using Estuary.Temporal.Tracing;
using Microsoft.Extensions.Configuration;
using Temporalio.Client;
using Temporalio.Converters;
using Temporalio.Runtime;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;

namespace Estuary.Cli.Commands;

/// <summary>
/// The <c>--address</c> and <c>--namespace</c> options every command talking to Temporal takes, and the connection they
/// lead to. The flags come first, then configuration and Temporal's own environment in
/// <see cref="TemporalConnectionOptions"/>'s order. Payloads are encrypted and decrypted with the keys of
/// <c>Estuary:Encryption</c>, as in the workers; without any key configured, commands still read (encrypted payloads
/// show as such) and those that would send a payload refuse (<see cref="RequireKeys"/>).
/// </summary>
internal sealed class TemporalCommandOptions(CommandContext context)
{
    // The SDK's core logs each retry of a call to the console; a command reports the outcome itself, in one line.
    private static readonly Lazy<TemporalRuntime> QuietRuntime =
        new(() => new TemporalRuntime(new TemporalRuntimeOptions(new TelemetryOptions { Logging = null })));

    private readonly Option<string?> _address = new("--address")
    {
        Description = "Temporal address host:port (default: configuration, TEMPORAL_ADDRESS, then localhost:7233).",
    };

    private readonly Option<string?> _namespace = new("--namespace", "-n")
    {
        Description = "Temporal namespace (default: configuration, TEMPORAL_NAMESPACE, then 'default').",
    };

    // Set by Resolve when payloads are encrypted and no key is configured: what to configure.
    private string? _missingKeys;

    /// <summary>Adds the options to a command.</summary>
    /// <param name="command">The command.</param>
    public void AddTo(Command command)
    {
        command.Options.Add(_address);
        command.Options.Add(_namespace);
    }

    /// <summary>Resolves where Temporal is, without contacting it.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <returns>Valid connection options.</returns>
    /// <exception cref="UsageException">A flag or configuration value is invalid.</exception>
    public TemporalConnectionOptions Resolve(ParseResult parse)
    {
        var overrides = new Dictionary<string, string?>();
        if (parse.GetValue(_address) is { } address)
        {
            if (TemporalConnectionOptions.AddressProblem(address) is { } problem)
            {
                throw new UsageException($"Option '--address' {problem}.");
            }

            overrides[$"{TemporalConnectionOptions.SectionName}:Address"] = address;
            overrides[$"ConnectionStrings:{TemporalConnectionOptions.ConnectionStringName}"] = null;
        }

        if (parse.GetValue(_namespace) is { } ns)
        {
            if (string.IsNullOrWhiteSpace(ns))
            {
                throw new UsageException("Option '--namespace' must not be empty.");
            }

            overrides[$"{TemporalConnectionOptions.SectionName}:Namespace"] = ns;
        }

        var encryption = context.Configuration.GetSection(EncryptionOptions.SectionName);
        var enabled = encryption[nameof(EncryptionOptions.Enabled)];
        if ((enabled is null || (bool.TryParse(enabled, out var on) && on))
            && encryption[nameof(EncryptionOptions.ActiveKey)] is null
            && !encryption.GetSection(nameof(EncryptionOptions.Keys)).GetChildren().Any())
        {
            _missingKeys = $"Payloads are encrypted and no key is configured here: set '{EncryptionOptions.SectionName}:ActiveKey' and "
                + $"'{EncryptionOptions.SectionName}:Keys:<id>' (the workers' keys), or '{EncryptionOptions.SectionName}:Enabled' to false.";
            overrides[$"{EncryptionOptions.SectionName}:{nameof(EncryptionOptions.Enabled)}"] = bool.FalseString;
        }

        var configuration = new ConfigurationBuilder().AddConfiguration(context.Configuration).AddInMemoryCollection(overrides).Build();
        try
        {
            var options = TemporalConnectionOptions.FromConfiguration(configuration, context.TemporalSources);
            options.Encryption?.Validate();
            return options;
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>Checks that this process can encrypt what a command is about to send.</summary>
    /// <exception cref="UsageException">Payloads are encrypted and no key is configured; nothing has been sent.</exception>
    public void RequireKeys()
    {
        if (_missingKeys is not null)
        {
            throw new UsageException(_missingKeys);
        }
    }

    /// <summary>Connects to Temporal.</summary>
    /// <param name="connection">Where Temporal is.</param>
    /// <param name="cancellationToken">Stops waiting for the connection.</param>
    /// <returns>A connected client.</returns>
    /// <exception cref="CommandFailedException">Temporal cannot be reached; the message names the address tried.</exception>
    public async Task<TemporalClient> ConnectAsync(TemporalConnectionOptions connection, CancellationToken cancellationToken)
    {
        try
        {
            var options = connection.ToConnectOptions(context.Catalog);
            options.Runtime = QuietRuntime.Value;
            options.DataConverter = options.DataConverter with { PayloadCodec = new TraceHeaderCodec(new ReadablePayloadCodec(connection.Encryption?.CreateCodec())) };
            return await TemporalClient.ConnectAsync(options).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CommandFailedException(
                $"Cannot reach Temporal at {connection.Address} (namespace '{connection.Namespace}'): {e.Message}", e);
        }
    }
}
