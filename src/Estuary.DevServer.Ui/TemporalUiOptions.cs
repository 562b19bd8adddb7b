using Microsoft.Extensions.Logging;

namespace Estuary.DevServer.Ui;

/// <summary>Settings of a <see cref="TemporalUiServer"/>.</summary>
public sealed class TemporalUiOptions
{
    /// <summary><c>host:port</c> of the Temporal frontend the UI reads from and acts on (any Temporal server).</summary>
    public string TemporalAddress { get; set; } = "127.0.0.1:7233";

    /// <summary>IP address the UI listens on; loopback unless told otherwise.</summary>
    public string Ip { get; set; } = "127.0.0.1";

    /// <summary>Port the UI listens on; 0 picks a free port (read it back from <see cref="TemporalUiServer.Url"/>).</summary>
    public int Port { get; set; }

    /// <summary>The namespace <c>/</c> leads to.</summary>
    public string DefaultNamespace { get; set; } = "default";

    /// <summary>A codec server (Temporal's codec server protocol) encrypted payloads are decoded through before they are
    /// shown, as Temporal's UI does with <c>TEMPORAL_CODEC_ENDPOINT</c>; null shows them as encrypted.</summary>
    public Uri? CodecEndpoint { get; set; }

    /// <summary>The bearer token sent to <see cref="CodecEndpoint"/>, when it asks for one.</summary>
    public string? CodecAccessToken { get; set; }

    /// <summary>Logger factory for the UI's own logs (failed Temporal calls); null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TemporalAddress) || !TemporalAddress.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"TemporalAddress must be host:port, not '{TemporalAddress}'.", nameof(TemporalAddress));
        }
        if (!System.Net.IPAddress.TryParse(Ip, out _) && Ip is not "localhost")
        {
            throw new ArgumentException($"Ip must be an IP address, not '{Ip}'.", nameof(Ip));
        }
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port must be between 0 and 65535, not {Port}.", nameof(Port));
        }
        if (string.IsNullOrWhiteSpace(DefaultNamespace))
        {
            throw new ArgumentException("DefaultNamespace must not be empty.", nameof(DefaultNamespace));
        }
    }
}
