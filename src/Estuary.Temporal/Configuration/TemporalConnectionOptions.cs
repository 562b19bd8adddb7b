using System.Data.Common;
using System.Net;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Encryption;
using Estuary.Temporal.Tracing;
using Microsoft.Extensions.Configuration;
using Temporalio.Client;
using Temporalio.Common.EnvConfig;
using Temporalio.Converters;

namespace Estuary.Temporal.Configuration;

/// <summary>
/// Where and how to reach Temporal. Each value comes from the first of these that sets it: the Aspire connection
/// string <c>ConnectionStrings:temporal</c> (<c>host:port</c>, or <c>Endpoint=…;Namespace=…;ApiKey=…;Tls=true</c>); the
/// <c>Temporal</c> configuration section; Temporal's own client environment, as the SDK's <see cref="ClientEnvConfig"/>
/// reads it (<c>TEMPORAL_ADDRESS</c>, <c>TEMPORAL_NAMESPACE</c>, <c>TEMPORAL_API_KEY</c>, <c>TEMPORAL_TLS*</c>,
/// <c>TEMPORAL_GRPC_META_*</c>, over the profile <c>TEMPORAL_PROFILE</c> of the file <c>TEMPORAL_CONFIG_FILE</c>, by default
/// <c>~/.config/temporalio/temporal.toml</c>); a caller's fallback (<see cref="TemporalConnectionSources.Fallback"/>); the
/// defaults <c>localhost:7233</c> and <c>default</c>.
/// </summary>
public sealed class TemporalConnectionOptions
{
    /// <summary>The configuration section bound to this class.</summary>
    public const string SectionName = "Temporal";

    /// <summary>The Aspire connection string name.</summary>
    public const string ConnectionStringName = "temporal";

    /// <summary>Gets or sets the frontend address, <c>host:port</c>.</summary>
    public string Address { get; set; } = "localhost:7233";

    /// <summary>Gets or sets the namespace.</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>Gets or sets an API key (Temporal Cloud); implies TLS.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets a value indicating whether to use TLS.</summary>
    public bool Tls { get; set; }

    /// <summary>Gets or sets the path of a PEM client certificate for mTLS.</summary>
    public string? TlsClientCertPath { get; set; }

    /// <summary>Gets or sets the path of the PEM private key of <see cref="TlsClientCertPath"/>.</summary>
    public string? TlsClientKeyPath { get; set; }

    /// <summary>Gets or sets how requests are compressed (default <see cref="TemporalCompression.Auto"/>: none on a
    /// loopback address, gzip otherwise).</summary>
    public TemporalCompression Compression { get; set; } = TemporalCompression.Auto;

    /// <summary>Gets or sets gRPC metadata (headers) sent with every call, e.g. from <c>TEMPORAL_GRPC_META_*</c>.</summary>
    public IReadOnlyDictionary<string, string> RpcMetadata { get; set; } = new Dictionary<string, string>();

    /// <summary>Gets or sets how payloads are encrypted: <see cref="FromConfiguration"/> reads <c>Estuary:Encryption</c>
    /// (<see cref="EncryptionOptions"/>, on unless turned off), whose keys <see cref="ToConnectOptions"/> checks (a process
    /// that only needs Temporal's address needs no key); <c>null</c>, as options built in code start, means no codec.</summary>
    public EncryptionOptions? Encryption { get; set; }

    /// <summary>Gets a value indicating whether <see cref="Address"/> is on this machine (<c>localhost</c>, a loopback
    /// address; names are not resolved).</summary>
    public bool IsLoopback => IsLoopbackAddress(Address);

    // What set Address, for the message of an invalid one.
    private string _addressSource = $"Configuration key '{SectionName}:Address'";

    // TLS as Temporal's environment describes it (server CA, server name, client certificate as a path or inline
    // data), used when Estuary's own keys name no client certificate.
    private ClientEnvConfig.Tls? _environmentTls;

    /// <summary>Reads the options from configuration and Temporal's client environment, and validates them.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <param name="sources">Where else values come from (default: the process's Temporal environment, no fallback).</param>
    /// <returns>Valid options.</returns>
    /// <exception cref="InvalidOperationException">A value is invalid; the message names where it came from.</exception>
    public static TemporalConnectionOptions FromConfiguration(IConfiguration configuration, TemporalConnectionSources? sources = null)
    {
        sources ??= TemporalConnectionSources.Default;
        var options = new TemporalConnectionOptions();
        if (sources.Fallback is { } fallback)
        {
            options.ApplySection(fallback.GetSection(SectionName), sources.FallbackName);
        }

        if (sources.Environment is { } environment)
        {
            options.ApplyEnvironment(environment);
        }

        options.ApplySection(configuration.GetSection(SectionName), $"Configuration key '{SectionName}:Address'");
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            options.ApplyConnectionString(connectionString);
        }

        options.Validate();
        options.Encryption = EncryptionOptions.FromConfiguration(configuration, validate: false);
        return options;
    }

    /// <summary>Says what is wrong with a Temporal address, if anything.</summary>
    /// <param name="address">The address as given.</param>
    /// <returns><c>null</c> when it is <c>host:port</c>; otherwise what to write instead, e.g.
    /// <c>must be host:port, got 'http://localhost:7233' (use localhost:7233)</c>.</returns>
    public static string? AddressProblem(string address)
    {
        var scheme = address.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var bare = address[(scheme + 3)..].TrimEnd('/');
            return IsHostPort(bare)
                ? $"must be host:port, without a scheme, got '{address}' (use {bare})"
                : $"must be host:port, without a scheme, got '{address}'";
        }

        return IsHostPort(address) ? null : $"must be host:port, got '{address}'";
    }

    /// <summary>Checks every value; the message of the exception names the offending key.</summary>
    /// <exception cref="InvalidOperationException">A value is invalid.</exception>
    public void Validate()
    {
        if (AddressProblem(Address) is { } problem)
        {
            throw new InvalidOperationException($"{_addressSource} {problem}.");
        }

        if (string.IsNullOrWhiteSpace(Namespace))
        {
            throw new InvalidOperationException($"Configuration key '{SectionName}:Namespace' must not be empty.");
        }

        if ((TlsClientCertPath is null) != (TlsClientKeyPath is null))
        {
            throw new InvalidOperationException(
                $"Configuration keys '{SectionName}:TlsClientCertPath' and '{SectionName}:TlsClientKeyPath' must be set together.");
        }

        foreach (var (key, path) in new[] { ("TlsClientCertPath", TlsClientCertPath), ("TlsClientKeyPath", TlsClientKeyPath) })
        {
            if (path is not null && !File.Exists(path))
            {
                throw new InvalidOperationException($"Configuration key '{SectionName}:{key}' names a missing file '{path}'.");
            }
        }
    }

    /// <summary>Builds the SDK's connect options, with the <see cref="TracingInterceptor"/> so that what the client
    /// starts, signals, queries or updates continues the caller's trace into the workers, and the
    /// <see cref="EncryptionPayloadCodec"/> of <see cref="Encryption"/> when it is enabled, inside a <see cref="TraceHeaderCodec"/>
    /// so the trace context stays readable by other SDKs (workers built on the client use its data converter too).</summary>
    /// <param name="domains">The domains the client works with, to tag client spans with their domain.</param>
    /// <returns>Options for <see cref="TemporalClient.ConnectAsync(TemporalClientConnectOptions)"/>.</returns>
    /// <exception cref="InvalidOperationException">Encryption is on and its keys are missing or invalid; the message names the key.</exception>
    public TemporalClientConnectOptions ToConnectOptions(DomainCatalog? domains = null)
    {
        var connect = new TemporalClientConnectOptions(Address)
        {
            Namespace = Namespace,
            ApiKey = ApiKey,
            Interceptors = [new TracingInterceptor(domains)],
            GrpcCompression = ResolveGrpcCompression(),
            RpcMetadata = RpcMetadata,
            DataConverter = Encryption?.CreateCodec() is { } codec
                ? DataConverter.Default with { PayloadCodec = new TraceHeaderCodec(codec) }
                : DataConverter.Default,
        };
        if (Tls || ApiKey is not null || TlsClientCertPath is not null)
        {
            connect.Tls = TlsClientCertPath is not null
                ? new TlsOptions
                {
                    ClientCert = File.ReadAllBytes(TlsClientCertPath),
                    ClientPrivateKey = File.ReadAllBytes(TlsClientKeyPath!),
                }
                : _environmentTls?.ToTlsOptions() ?? new TlsOptions();
        }

        return connect;
    }

    /// <summary>The SDK's compression setting for <see cref="Compression"/> and <see cref="Address"/>.</summary>
    /// <returns>No compression for <see cref="TemporalCompression.None"/>, and for <see cref="TemporalCompression.Auto"/>
    /// on a loopback address; gzip otherwise.</returns>
    /// <remarks>Every request the SDK sends is a small protobuf message: on the same machine gzip only costs CPU.</remarks>
    public GrpcCompression ResolveGrpcCompression() => Compression switch
    {
        TemporalCompression.None => new GrpcCompression.None(),
        TemporalCompression.Auto when IsLoopback => new GrpcCompression.None(),
        _ => new GrpcCompression.Gzip(),
    };

    // "localhost", an IPv4 loopback address or "[::1]", before ":port". Names are not resolved.
    private static bool IsLoopbackAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        var host = (colon > 0 ? address[..colon] : address).Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private void ApplyConnectionString(string connectionString)
    {
        _addressSource = $"Connection string 'ConnectionStrings:{ConnectionStringName}'";
        if (!connectionString.Contains('=', StringComparison.Ordinal))
        {
            Address = StripScheme(connectionString.Trim());
            return;
        }

        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (string key in builder.Keys)
        {
            var value = builder[key]?.ToString() ?? string.Empty;
            switch (key.ToUpperInvariant())
            {
                case "ENDPOINT" or "ADDRESS":
                    Address = StripScheme(value);
                    break;
                case "NAMESPACE":
                    Namespace = value;
                    break;
                case "APIKEY":
                    ApiKey = value;
                    break;
                case "TLS":
                    Tls = bool.TryParse(value, out var tls) ? tls
                        : throw new InvalidOperationException(
                            $"Connection string 'ConnectionStrings:{ConnectionStringName}' has Tls='{value}'; expected true or false.");
                    break;
                default:
                    throw new InvalidOperationException(
                        $"Connection string 'ConnectionStrings:{ConnectionStringName}' has unknown key '{key}' (expected Endpoint, Namespace, ApiKey, Tls).");
            }
        }
    }

    // Aspire endpoints render as "tcp://host:port" or "http://host:port"; the SDK wants "host:port".
    private static string StripScheme(string address)
    {
        var index = address.IndexOf("://", StringComparison.Ordinal);
        return (index >= 0 ? address[(index + 3)..] : address).TrimEnd('/');
    }

    private static bool IsHostPort(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0
            && colon < address.Length - 1
            && !address.AsSpan(0, colon).ContainsAny("/?#@ ")
            && int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            && port is > 0 and < 65536;
    }

    private void ApplySection(IConfigurationSection section, string addressSource)
    {
        // Checked before binding, which would reject a wrong value without saying which values are right.
        if (section[nameof(Compression)] is { } compression
            && !Enum.GetNames<TemporalCompression>().Contains(compression.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"Configuration key '{SectionName}:{nameof(Compression)}' must be Auto, Gzip or None, got '{compression}'.");
        }

        if (section[nameof(Address)] is not null)
        {
            _addressSource = addressSource;
        }

        section.Bind(this);
    }

    private void ApplyEnvironment(ClientEnvConfig.ProfileLoadOptions environment)
    {
        ClientEnvConfig.Profile profile;
        try
        {
            profile = ClientEnvConfig.Profile.Load(environment);
        }
        catch (InvalidOperationException e)
        {
            // The SDK's message may carry a multi-line excerpt of the file; its first line names the problem.
            var message = e.Message.Split('\n', 2)[0].Trim();
            throw new InvalidOperationException(
                $"Temporal's client configuration (TEMPORAL_* environment variables, TEMPORAL_PROFILE, the profile file) is invalid: {message}", e);
        }

        if (!string.IsNullOrWhiteSpace(profile.Address))
        {
            Address = profile.Address;
            _addressSource = "TEMPORAL_ADDRESS (or the Temporal profile's address)";
        }

        if (!string.IsNullOrWhiteSpace(profile.Namespace))
        {
            Namespace = profile.Namespace;
        }

        if (!string.IsNullOrWhiteSpace(profile.ApiKey))
        {
            ApiKey = profile.ApiKey;
        }

        if (profile.Tls is { } tls)
        {
            _environmentTls = tls;
            Tls = tls.Disabled != true;
        }

        if (profile.GrpcMeta is { Count: > 0 } metadata)
        {
            RpcMetadata = new Dictionary<string, string>(metadata);
        }
    }
}

/// <summary>Where <see cref="TemporalConnectionOptions.FromConfiguration"/> looks for values besides configuration.</summary>
/// <param name="Environment">How Temporal's client environment (<c>TEMPORAL_*</c> variables, profile file) is read, as the SDK's
/// <see cref="ClientEnvConfig.Profile.Load"/> does; <c>null</c> ignores it.</param>
/// <param name="Fallback">Configuration whose <c>Temporal:*</c> keys apply below everything else (the command line's local
/// endpoints), or <c>null</c>.</param>
/// <param name="FallbackName">How messages name <paramref name="Fallback"/> when its address is invalid.</param>
public sealed record TemporalConnectionSources(
    ClientEnvConfig.ProfileLoadOptions? Environment,
    IConfiguration? Fallback = null,
    string FallbackName = "The fallback Temporal address")
{
    /// <summary>Gets the sources of a process: its own Temporal environment (variables and default profile file), no fallback.</summary>
    public static TemporalConnectionSources Default { get; } = new(new ClientEnvConfig.ProfileLoadOptions());
}
