using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Estuary.DevServer.CommandLine;

/// <summary>
/// Reads the argv of <c>temporal server start-dev …</c> and of Temporal's test server (<c>&lt;port&gt;</c>),
/// so Temporal's own <c>WorkflowEnvironment</c> can launch this executable in place of either.
/// </summary>
internal sealed class DevServerCommandLine
{
    /// <summary>
    /// Flags of <c>temporal server start-dev</c> that take a value and mean nothing here (the UI's own assets and path
    /// prefix; no HTTP API or metrics endpoint).
    /// </summary>
    private static readonly HashSet<string> IgnoredValueFlags = new(StringComparer.Ordinal)
    {
        "--ui-asset-path", "--ui-public-path", "--http-port",
        "--metrics-port", "--log-config", "--config", "--env", "--grpc-api-key",
    };

    /// <summary>Distance of the web UI's default port from the gRPC port, as in <c>temporal server start-dev</c>.</summary>
    private const int UiPortOffset = 1000;

    public DevServerOptions Options { get; } = new() { Port = 7233, Namespaces = ["default"] };

    public LogLevel LogLevel { get; private set; } = LogLevel.Information;

    public bool JsonLogs { get; private set; }

    public List<string> Warnings { get; } = [];

    /// <summary>Parses argv; throws <see cref="FormatException"/> with a one-line message on anything unknown or malformed.</summary>
    public static DevServerCommandLine Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var result = new DevServerCommandLine();
        if (environment("ESTUARY_DEVSERVER_PORT") is { Length: > 0 } envPort)
        {
            result.Options.Port = ParsePort(envPort, "ESTUARY_DEVSERVER_PORT");
        }
        var index = 0;
        if (args.Count > 0 && int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            // Test server argv: "<port> [--enable-time-skipping]".
            result.Options.Port = ParsePort(args[0], "port");
            result.Options.TimeSkipping = true;
            result.Options.TimeSkippingStartsLocked = true;
            index = 1;
        }
        else if (args.Count >= 2 && args[0] == "server" && args[1] == "start-dev")
        {
            index = 2;
        }
        // Temporal's UI server reads its codec endpoint from TEMPORAL_CODEC_ENDPOINT; the token never travels on argv.
        if (environment("TEMPORAL_CODEC_ENDPOINT") is { Length: > 0 } codecEndpoint)
        {
            result.Options.UiCodecEndpoint = ParseCodecEndpoint(codecEndpoint, "TEMPORAL_CODEC_ENDPOINT");
        }
        // The token's file (flag over variable) over the token itself, so that a launcher can keep it out of the environment.
        var codecTokenFileName = "ESTUARY_CODEC_ACCESS_TOKEN_FILE";
        var codecTokenFile = environment(codecTokenFileName) is { Length: > 0 } tokenFile ? tokenFile : null;
        var namespaces = new List<string> { "default" };
        // Temporal's test server has no UI; start-dev serves one unless --headless.
        var headless = result.Options.TimeSkippingStartsLocked;
        int? uiPort = null;
        for (; index < args.Count; index++)
        {
            var arg = args[index];
            string? inlineValue = null;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                inlineValue = arg[(equals + 1)..];
                arg = arg[..equals];
            }
            string Value()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }
                if (index + 1 >= args.Count)
                {
                    throw new FormatException($"flag needs an argument: {arg}");
                }
                return args[++index];
            }
            switch (arg)
            {
                case "--port" or "-p":
                    result.Options.Port = ParsePort(Value(), arg);
                    break;
                case "--ip":
                    result.Options.Ip = Value();
                    break;
                case "--headless":
                    headless = true;
                    break;
                case "--ui-port":
                    uiPort = ParsePort(Value(), arg);
                    break;
                case "--ui-codec-endpoint":
                    result.Options.UiCodecEndpoint = ParseCodecEndpoint(Value(), arg);
                    break;
                case "--ui-codec-access-token-file":
                    codecTokenFile = Value();
                    codecTokenFileName = arg;
                    break;
                case "--ui-ip":
                    var uiIp = Value();
                    result.Options.UiIp = uiIp is "localhost" || System.Net.IPAddress.TryParse(uiIp, out _)
                        ? uiIp
                        : throw new FormatException($"invalid value for --ui-ip: {uiIp} (expected an IP address)");
                    break;
                case "--namespace" or "-n":
                    var name = Value();
                    if (!namespaces.Contains(name))
                    {
                        namespaces.Add(name);
                    }
                    break;
                case "--log-level":
                    result.LogLevel = Value().ToLowerInvariant() switch
                    {
                        "debug" => LogLevel.Debug,
                        "info" => LogLevel.Information,
                        "warn" => LogLevel.Warning,
                        "error" => LogLevel.Error,
                        "never" => LogLevel.None,
                        var other => throw new FormatException($"invalid value for --log-level: {other} (expected debug, info, warn, error or never)"),
                    };
                    break;
                case "--log-format":
                    result.JsonLogs = Value().ToLowerInvariant() switch
                    {
                        "json" => true,
                        "pretty" or "text" => false,
                        var other => throw new FormatException($"invalid value for --log-format: {other} (expected json or pretty)"),
                    };
                    break;
                case "--db-filename" or "-f":
                    result.Options.DatabasePath = Value();
                    break;
                case "--sqlite-pragma":
                    result.ApplySqlitePragma(Value());
                    break;
                case "--search-attribute":
                    var attribute = Value();
                    var separator = attribute.IndexOf('=', StringComparison.Ordinal);
                    if (separator <= 0)
                    {
                        throw new FormatException($"invalid value for --search-attribute: {attribute} (expected Name=Type)");
                    }
                    var type = attribute[(separator + 1)..];
                    Namespaces.NamespaceRegistry.ParseSearchAttributeType(type);
                    result.Options.SearchAttributes[attribute[..separator]] = type;
                    break;
                case "--dynamic-config-value":
                    result.ApplyDynamicConfig(Value());
                    break;
                case "--enable-time-skipping" or "--time-skipping":
                    result.Options.TimeSkipping = true;
                    break;
                case "--max-closed-workflows":
                    result.Options.MaxClosedWorkflows = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var max) && max > 0
                        ? max
                        : throw new FormatException("invalid value for --max-closed-workflows (expected a positive integer)");
                    break;
                case "--retention":
                    result.Options.Retention = TimeSpan.TryParse(Value(), CultureInfo.InvariantCulture, out var retention) && retention > TimeSpan.Zero
                        ? retention
                        : throw new FormatException("invalid value for --retention (expected a positive time span like 1.00:00:00)");
                    break;
                default:
                    if (IgnoredValueFlags.Contains(arg))
                    {
                        Value();
                    }
                    else
                    {
                        throw new FormatException($"unknown flag: {args[index]}");
                    }
                    break;
            }
        }
        result.Options.UiCodecAccessToken = codecTokenFile is not null
            ? ReadCodecAccessToken(codecTokenFile, codecTokenFileName)
            : environment("ESTUARY_CODEC_ACCESS_TOKEN") is { Length: > 0 } codecToken ? codecToken : null;
        result.Options.Namespaces = namespaces;
        if (!headless)
        {
            var port = result.Options.Port;
            result.Options.UiPort = uiPort
                ?? (port == 0 ? 0
                    : port + UiPortOffset <= 65535 ? port + UiPortOffset
                    : throw new FormatException($"the UI's default port {port} + {UiPortOffset} is above 65535: choose one with --ui-port, or pass --headless"));
        }
        return result;
    }

    private static Uri ParseCodecEndpoint(string value, string name) =>
        Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException($"invalid value for {name}: {value} (expected an http(s) URL)");

    /// <summary>Reads the codec access token from its file: the whole file, less trailing line breaks (as `echo` leaves).</summary>
    private static string ReadCodecAccessToken(string path, string name)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            var reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new FormatException($"invalid value for {name}: {path} ({reason})");
        }
        var token = text.TrimEnd('\r', '\n');
        return token.Length > 0 ? token : throw new FormatException($"invalid value for {name}: {path} (the file is empty)");
    }

    /// <summary>
    /// Reads a <c>key=value</c> dynamic config setting (the value is JSON, as for <c>temporal server start-dev</c>). Only
    /// <c>system.enableEagerWorkflowStart</c> means something here; other keys are accepted and ignored.
    /// </summary>
    private void ApplyDynamicConfig(string setting)
    {
        var separator = setting.IndexOf('=', StringComparison.Ordinal);
        if (separator <= 0)
        {
            throw new FormatException("invalid value for --dynamic-config-value (expected key=value)");
        }
        var key = setting[..separator];
        var value = setting[(separator + 1)..].Trim();
        if (key == "system.enableEagerWorkflowStart")
        {
            Options.EnableEagerWorkflowStart = value switch
            {
                "true" => true,
                "false" => false,
                _ => throw new FormatException($"invalid value for --dynamic-config-value {key}: {value} (expected true or false)"),
            };
        }
    }

    /// <summary>
    /// Reads a <c>key=value</c> SQLite pragma as <c>temporal server start-dev</c> takes it. The store always runs in WAL
    /// mode; <c>synchronous</c> chooses whether each commit is synced to the disk (FULL) or left to the operating
    /// system (NORMAL, the default).
    /// </summary>
    private void ApplySqlitePragma(string setting)
    {
        var separator = setting.IndexOf('=', StringComparison.Ordinal);
        var key = separator > 0 ? setting[..separator].Trim().ToLowerInvariant() : "";
        var value = separator > 0 ? setting[(separator + 1)..].Trim().ToUpperInvariant() : "";
        switch (key, value)
        {
            case ("synchronous", "FULL" or "EXTRA"):
                Options.SyncEveryWrite = true;
                break;
            case ("synchronous", "NORMAL"):
                Options.SyncEveryWrite = false;
                break;
            case ("journal_mode", "WAL"):
                break;
            default:
                throw new FormatException($"unsupported --sqlite-pragma {setting} (the Estuary dev server takes synchronous=FULL or synchronous=NORMAL)");
        }
    }

    private static int ParsePort(string text, string name) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new FormatException($"invalid value for {name}: {text} (expected a port number)");
}
