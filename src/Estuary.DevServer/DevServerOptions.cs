using Microsoft.Extensions.Logging;

namespace Estuary.DevServer;

/// <summary>Settings of a <see cref="TemporalDevServer"/>.</summary>
public sealed class DevServerOptions
{
    /// <summary>IP address to listen on.</summary>
    public string Ip { get; set; } = "127.0.0.1";

    /// <summary>Port to listen on; 0 picks a free port (read it back from <see cref="TemporalDevServer.Port"/>).</summary>
    public int Port { get; set; }

    /// <summary>
    /// Port of the web UI (workflows, histories, signals, queries, cancel, terminate); 0 picks a free port (read it back
    /// from <see cref="TemporalDevServer.UiUrl"/>); null (the default in process) serves no UI.
    /// </summary>
    public int? UiPort { get; set; }

    /// <summary>IP address the web UI listens on; null listens on <see cref="Ip"/>.</summary>
    public string? UiIp { get; set; }

    /// <summary>A codec server (Temporal's protocol, <c>POST {endpoint}/{namespace}/decode</c>) the web UI decodes encrypted
    /// payloads through before showing them; null shows them as encrypted.</summary>
    public Uri? UiCodecEndpoint { get; set; }

    /// <summary>The bearer token the web UI sends to <see cref="UiCodecEndpoint"/>, when it asks for one.</summary>
    public string? UiCodecAccessToken { get; set; }

    /// <summary>Namespaces registered at start.</summary>
    public IList<string> Namespaces { get; set; } = ["default"];

    /// <summary>
    /// Test-server mode: whenever no workflow or activity task is outstanding (and time skipping is not locked
    /// through TestService), the clock jumps to the next timer or timeout.
    /// </summary>
    public bool TimeSkipping { get; set; }

    /// <summary>
    /// With <see cref="TimeSkipping"/>: start with skipping locked, as Temporal's test server does; the SDK's
    /// time-skipping environment unlocks it while it waits for a result or sleeps. When false (the default for
    /// in-process use) time skips whenever the server is idle, without any TestService calls.
    /// </summary>
    public bool TimeSkippingStartsLocked { get; set; }

    /// <summary>Logger factory for the server's own logs (one debug line per RPC); null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>How long a closed workflow run stays readable (the namespace retention of the initial namespaces).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>At most this many closed runs are kept; the oldest are dropped first.</summary>
    public int MaxClosedWorkflows { get; set; } = 100_000;

    /// <summary>Search attributes registered at start (name → indexed value type, e.g. <c>Keyword</c>).</summary>
    public IDictionary<string, string> SearchAttributes { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Eager workflow start, as Temporal's <c>system.enableEagerWorkflowStart</c> (on by default): a start that asks for it
    /// gets its first workflow task already started in the response. Also reported in the namespaces' capabilities.
    /// </summary>
    public bool EnableEagerWorkflowStart { get; set; } = true;

    /// <summary>
    /// SQLite database file holding the server's whole state, so it survives restarts and crashes (created when it does
    /// not exist); null or empty keeps everything in memory (the default). Not with <see cref="TimeSkipping"/>.
    /// </summary>
    public string? DatabasePath { get; set; }

    /// <summary>
    /// With <see cref="DatabasePath"/>: every change reaches the disk before the call that made it is answered
    /// (SQLite <c>synchronous=FULL</c>), so it survives a power cut too; off (the default), a change survives the
    /// server's process being killed but the last second or so before a power cut may be lost.
    /// </summary>
    public bool SyncEveryWrite { get; set; }

    /// <summary>Longest time a long poll is held before it is answered empty (it is also cut short before the caller's deadline).</summary>
    public TimeSpan LongPollTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot work.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port {Port} is not a port number.", nameof(Port));
        }
        if (MaxClosedWorkflows <= 0)
        {
            throw new ArgumentException("MaxClosedWorkflows must be positive.", nameof(MaxClosedWorkflows));
        }
        if (Retention <= TimeSpan.Zero)
        {
            throw new ArgumentException("Retention must be positive.", nameof(Retention));
        }
        if (TimeSkipping && !string.IsNullOrEmpty(DatabasePath))
        {
            throw new ArgumentException(
                "Time skipping and a database file do not go together: a skipped clock is not kept across restarts (use the in-memory server for time skipping).",
                nameof(DatabasePath));
        }
    }
}
