namespace Estuary.Temporal.Configuration;

/// <summary>How the client compresses its gRPC requests to Temporal (<c>Temporal:Compression</c>).</summary>
public enum TemporalCompression
{
    /// <summary>No compression when the address is a loopback address (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>),
    /// where it costs CPU and saves nothing; gzip, the SDK's default, for any other address.</summary>
    Auto,

    /// <summary>Gzip-compressed requests, gzip accepted in responses: what the SDK does by default.</summary>
    Gzip,

    /// <summary>Nothing compressed either way.</summary>
    None,
}
