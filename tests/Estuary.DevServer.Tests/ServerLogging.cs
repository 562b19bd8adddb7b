using Microsoft.Extensions.Logging;

namespace Estuary.DevServer.Tests;

/// <summary>Server logs on the console when <c>ESTUARY_DEVSERVER_LOG</c> names a level (e.g. <c>Debug</c>); silent otherwise.</summary>
internal static class ServerLogging
{
    public static ILoggerFactory? Create() =>
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("ESTUARY_DEVSERVER_LOG"), true, out var level)
            ? LoggerFactory.Create(logging => logging.SetMinimumLevel(level).AddFilter("Microsoft", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning).AddSimpleConsole(console => console.SingleLine = true))
            : null;
}
