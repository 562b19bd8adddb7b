using System.Data.Common;
using System.Net;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Tracing;
using Microsoft.Extensions.Configuration;
using Temporalio.Client;

namespace Estuary.Temporal.Configuration;

/// <summary>
/// Where and how to reach Temporal. Bound from the <c>Temporal</c> configuration section; the Aspire connection
/// string <c>ConnectionStrings:temporal</c> (<c>host:port</c>, or <c>Endpoint=…;Namespace=…;ApiKey=…;Tls=true</c>)
/// overrides the section's values it names.
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

    /// <summary>Reads the options from configuration (section, then connection string) and validates them.</summary>
    /// <param name="configuration">The configuration root.</param>
    /// <returns>Valid options.</returns>
    /// <exception cref="InvalidOperationException">A value is invalid; the message names the configuration key.</exception>
    public static TemporalConnectionOptions FromConfiguration(IConfiguration configuration)
    {
        var options = new TemporalConnectionOptions();
        var section = configuration.GetSection(SectionName);
        // Checked before binding, which would reject a wrong value without saying which values are right.
        if (section[nameof(Compression)] is { } compression
            && !Enum.GetNames<TemporalCompression>().Contains(compression.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"Configuration key '{SectionName}:{nameof(Compression)}' must be Auto, Gzip or None, got '{compression}'.");
        }

        section.Bind(options);
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            options.ApplyConnectionString(connectionString);
        }

        options.Validate();
        return options;
    }

    /// <summary>Checks every value; the message of the exception names the offending key.</summary>
    /// <exception cref="InvalidOperationException">A value is invalid.</exception>
    public void Validate()
    {
        if (!TryParseHostPort(Address))
        {
            throw new InvalidOperationException(
                $"Configuration key '{SectionName}:Address' must be host:port, got '{Address}'.");
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
    /// starts, signals, queries or updates continues the caller's trace into the workers.</summary>
    /// <param name="domains">The domains the client works with, to tag client spans with their domain.</param>
    /// <returns>Options for <see cref="TemporalClient.ConnectAsync(TemporalClientConnectOptions)"/>.</returns>
    public TemporalClientConnectOptions ToConnectOptions(DomainCatalog? domains = null)
    {
        var connect = new TemporalClientConnectOptions(Address)
        {
            Namespace = Namespace,
            ApiKey = ApiKey,
            Interceptors = [new TracingInterceptor(domains)],
            GrpcCompression = ResolveGrpcCompression(),
        };
        if (Tls || ApiKey is not null || TlsClientCertPath is not null)
        {
            connect.Tls = TlsClientCertPath is null
                ? new TlsOptions()
                : new TlsOptions
                {
                    ClientCert = File.ReadAllBytes(TlsClientCertPath),
                    ClientPrivateKey = File.ReadAllBytes(TlsClientKeyPath!),
                };
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
        TemporalCompression.Auto when IsLoopback(Address) => new GrpcCompression.None(),
        _ => new GrpcCompression.Gzip(),
    };

    // "localhost", an IPv4 loopback address or "[::1]", before ":port". Names are not resolved.
    private static bool IsLoopback(string address)
    {
        var colon = address.LastIndexOf(':');
        var host = (colon > 0 ? address[..colon] : address).Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private void ApplyConnectionString(string connectionString)
    {
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

    private static bool TryParseHostPort(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0
            && colon < address.Length - 1
            && int.TryParse(address.AsSpan(colon + 1), out var port)
            && port is > 0 and < 65536;
    }
}
