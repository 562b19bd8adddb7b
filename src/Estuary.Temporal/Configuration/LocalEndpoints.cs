using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Estuary.Temporal.Encryption;
using Microsoft.Extensions.Configuration;

namespace Estuary.Temporal.Configuration;

/// <summary>
/// What a running local AppHost tells the command-line tools of the same user: where Temporal is, where telemetry
/// goes (the dashboard's OTLP endpoint and its API key) and where its payload keys are kept (never the keys). The AppHost writes it to a per-user file, readable by that user
/// only, once every resource is healthy, and removes it when it stops; <c>estuary</c> reads it for what flags,
/// configuration and environment do not say. A file whose AppHost is no longer running is ignored.
/// </summary>
/// <param name="ProcessId">The AppHost's process id.</param>
/// <param name="ProcessStartTime">When that process started (a reused process id does not match it).</param>
/// <param name="Temporal">Temporal's frontend.</param>
/// <param name="Otlp">Where the AppHost's resources export telemetry, or <c>null</c> when nowhere.</param>
/// <param name="Dashboard">The dashboard's login URL, or <c>null</c> without a dashboard.</param>
/// <param name="Encryption">The workers' payload encryption, or <c>null</c> when the AppHost does not say.</param>
public sealed record LocalEndpoints(
    int ProcessId, DateTimeOffset ProcessStartTime, LocalTemporal Temporal, LocalOtlp? Otlp, string? Dashboard, LocalEncryption? Encryption = null)
{
    /// <summary>The configuration key (environment variable <c>Estuary__LocalEndpointsFile</c>) that moves the file.</summary>
    public const string PathKey = "Estuary:LocalEndpointsFile";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Gets the default file: <c>$XDG_STATE_HOME/estuary/local.json</c>, else <c>~/.local/state/estuary/local.json</c>
    /// (on Windows <c>%LOCALAPPDATA%\estuary\local.json</c>).
    /// </summary>
    public static string DefaultPath
    {
        get
        {
            var state = OperatingSystem.IsWindows()
                ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
                : Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg
                    ? xdg
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
            return Path.Combine(state, "estuary", "local.json");
        }
    }

    /// <summary>Gets the file a configuration names (<see cref="PathKey"/>), else <see cref="DefaultPath"/>.</summary>
    /// <param name="configuration">The configuration.</param>
    /// <returns>An absolute path.</returns>
    public static string PathFrom(IConfiguration configuration) =>
        configuration[PathKey] is { Length: > 0 } configured ? Path.GetFullPath(configured) : DefaultPath;

    /// <summary>Describes the current process as the AppHost publishing the endpoints.</summary>
    /// <param name="temporal">Temporal's frontend.</param>
    /// <param name="otlp">Where telemetry goes, if anywhere.</param>
    /// <param name="dashboard">The dashboard's login URL, if any.</param>
    /// <param name="encryption">The workers' payload encryption, if the AppHost configures it.</param>
    /// <returns>The endpoints.</returns>
    public static LocalEndpoints OfCurrentProcess(LocalTemporal temporal, LocalOtlp? otlp, string? dashboard, LocalEncryption? encryption = null)
    {
        using var process = Process.GetCurrentProcess();
        return new(process.Id, process.StartTime.ToUniversalTime(), temporal, otlp, dashboard, encryption);
    }

    /// <summary>Reads the file, if a running AppHost wrote it.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The endpoints, or <c>null</c> when there is no file or its AppHost is no longer running.</returns>
    /// <exception cref="InvalidOperationException">The file exists but is not an endpoints file; the message names it.</exception>
    public static LocalEndpoints? Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        LocalEndpoints? endpoints;
        try
        {
            endpoints = JsonSerializer.Deserialize<LocalEndpoints>(text, Json);
        }
        catch (JsonException exception)
        {
            throw new InvalidOperationException($"'{path}' is not an Estuary endpoints file ({exception.Message}); delete it, the AppHost writes it again.", exception);
        }

        if (endpoints?.Temporal?.Address is not { Length: > 0 })
        {
            throw new InvalidOperationException($"'{path}' is not an Estuary endpoints file (no Temporal address); delete it, the AppHost writes it again.");
        }

        return endpoints.IsRunning() ? endpoints : null;
    }

    /// <summary>Removes the file if it still describes <paramref name="processId"/> (another AppHost may have replaced it).</summary>
    /// <param name="path">The file.</param>
    /// <param name="processId">The AppHost's process id.</param>
    public static void Remove(string path, int processId)
    {
        try
        {
            if (JsonSerializer.Deserialize<LocalEndpoints>(File.ReadAllText(path), Json)?.ProcessId == processId)
            {
                File.Delete(path);
            }
        }
        catch (Exception exception) when (exception is IOException or JsonException or UnauthorizedAccessException)
        {
            // Nothing of ours to remove.
        }
    }

    /// <summary>Writes the file atomically, readable and writable by the current user only (it holds the OTLP API key).</summary>
    /// <param name="path">The file.</param>
    public void Write(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, this, Json);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The configuration values of Temporal's frontend: <c>Temporal:Address</c> and <c>Temporal:Namespace</c>.</summary>
    /// <returns>Key-value pairs for an in-memory configuration source.</returns>
    public IEnumerable<KeyValuePair<string, string?>> TemporalConfiguration() =>
    [
        new($"{TemporalConnectionOptions.SectionName}:{nameof(TemporalConnectionOptions.Address)}", Temporal.Address),
        new($"{TemporalConnectionOptions.SectionName}:{nameof(TemporalConnectionOptions.Namespace)}", Temporal.Namespace),
    ];

    /// <summary>
    /// The OpenTelemetry exporter's variables: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>_PROTOCOL</c> and <c>_HEADERS</c>, to be
    /// taken together or not at all (the API key belongs to the dashboard's endpoint only).
    /// </summary>
    /// <returns>Key-value pairs for an in-memory configuration source; none when the resources export nowhere.</returns>
    public IEnumerable<KeyValuePair<string, string?>> OtlpConfiguration() =>
        Otlp is null
            ? []
            : [new(LocalOtlp.EndpointKey, Otlp.Endpoint), new(LocalOtlp.ProtocolKey, Otlp.Protocol), new(LocalOtlp.HeadersKey, Otlp.Headers)];

    /// <summary>
    /// The payload encryption configuration (<c>Estuary:Encryption:*</c>) of the workers: off when the AppHost turned it
    /// off; otherwise the active and retired key ids with the keys the AppHost's user secrets hold (its parameters
    /// <c>payload-key-&lt;id&gt;</c>), read from <paramref name="userSecretsFile"/>.
    /// </summary>
    /// <param name="userSecretsFile">Where the user secrets of <see cref="LocalEncryption.UserSecretsId"/> are, as
    /// <see cref="LocalEncryption.UserSecretsFile"/> resolves it.</param>
    /// <returns>Key-value pairs for an in-memory configuration source; none when the AppHost does not say, or its user
    /// secrets do not hold the active key (keys given to the workers another way).</returns>
    public IEnumerable<KeyValuePair<string, string?>> EncryptionConfiguration(Func<string, string> userSecretsFile)
    {
        var section = EncryptionOptions.SectionName;
        if (Encryption is null)
        {
            return [];
        }

        if (!Encryption.Enabled)
        {
            return [new($"{section}:{nameof(EncryptionOptions.Enabled)}", bool.FalseString)];
        }

        if (Encryption.UserSecretsId is not { Length: > 0 } id || Encryption.ActiveKey is not { Length: > 0 } active)
        {
            return [];
        }

        var secrets = new ConfigurationBuilder().AddJsonFile(userSecretsFile(id), optional: true).Build();
        var keys = (Encryption.RetiredKeys ?? []).Prepend(active)
            .Select(keyId => (Id: keyId, Value: secrets[$"Parameters:{LocalEncryption.KeyParameterPrefix}{keyId}"]))
            .Where(key => key.Value is { Length: > 0 })
            .ToList();
        if (keys.Count == 0 || keys[0].Id != active)
        {
            return [];
        }

        return keys.Select(key => new KeyValuePair<string, string?>($"{section}:{nameof(EncryptionOptions.Keys)}:{key.Id}", key.Value))
            .Prepend(new($"{section}:{nameof(EncryptionOptions.ActiveKey)}", active))
            .ToList();
    }

    private bool IsRunning()
    {
        try
        {
            using var process = Process.GetProcessById(ProcessId);
            return (process.StartTime.ToUniversalTime() - ProcessStartTime).Duration() < TimeSpan.FromSeconds(1);
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

/// <summary>Temporal's frontend as a local AppHost serves it.</summary>
/// <param name="Address">The frontend, <c>host:port</c>.</param>
/// <param name="Namespace">The namespace the server was started with.</param>
/// <param name="Ui">Temporal's Web UI, or <c>null</c> when the server has none.</param>
public sealed record LocalTemporal(string Address, string Namespace, string? Ui);

/// <summary>Where a local AppHost's resources export telemetry, as the OpenTelemetry exporter's environment variables say it.</summary>
/// <param name="Endpoint">The value of <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</param>
/// <param name="Protocol">The value of <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (<c>grpc</c>, <c>http/protobuf</c>), or <c>null</c>.</param>
/// <param name="Headers">The value of <c>OTEL_EXPORTER_OTLP_HEADERS</c> (the dashboard's <c>x-otlp-api-key=…</c>), or <c>null</c>.</param>
public sealed record LocalOtlp(string Endpoint, string? Protocol, string? Headers)
{
    /// <summary>The exporter's endpoint variable.</summary>
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The exporter's protocol variable.</summary>
    public const string ProtocolKey = "OTEL_EXPORTER_OTLP_PROTOCOL";

    /// <summary>The exporter's headers variable.</summary>
    public const string HeadersKey = "OTEL_EXPORTER_OTLP_HEADERS";
}

/// <summary>
/// Where a local AppHost keeps the workers' payload keys: the ids of the keys and the user secrets that hold them as the
/// parameters <c>payload-key-&lt;id&gt;</c>. Never the keys themselves.
/// </summary>
/// <param name="Enabled">Whether the workers encrypt payloads.</param>
/// <param name="UserSecretsId">The AppHost's user secrets id, or <c>null</c> when it has none.</param>
/// <param name="ActiveKey">The id of the key that encrypts new payloads; <c>null</c> when encryption is off.</param>
/// <param name="RetiredKeys">The ids of the keys still needed to read older payloads.</param>
public sealed record LocalEncryption(bool Enabled, string? UserSecretsId, string? ActiveKey, IReadOnlyList<string>? RetiredKeys)
{
    /// <summary>The prefix of a key's parameter name; the key id follows.</summary>
    public const string KeyParameterPrefix = "payload-key-";

    /// <summary>Resolves a user secrets id to its <c>secrets.json</c> in the standard user secrets location.</summary>
    /// <param name="userSecretsId">The user secrets id.</param>
    /// <returns>The file's path (it may not exist).</returns>
    public static string UserSecretsFile(string userSecretsId) =>
        Microsoft.Extensions.Configuration.UserSecrets.PathHelper.GetSecretsPathFromSecretsId(userSecretsId);
}
