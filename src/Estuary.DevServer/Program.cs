using System.Runtime.InteropServices;
using Estuary.DevServer;
using Estuary.DevServer.CommandLine;
using Microsoft.Extensions.Logging;

DevServerCommandLine commandLine;
try
{
    commandLine = DevServerCommandLine.Parse(args, Environment.GetEnvironmentVariable);
}
catch (FormatException e)
{
    await Console.Error.WriteLineAsync($"Error: {e.Message}");
    return 2;
}

using var loggerFactory = LoggerFactory.Create(logging =>
{
    logging.SetMinimumLevel(commandLine.LogLevel);
    // ASP.NET Core's per-request lines would drown the server's own; keep only its warnings.
    logging.AddFilter("Microsoft", LogLevel.Warning);
    // A listener that cannot start is reported below in one line; the host's own log of it is a stack trace.
    logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
    if (commandLine.JsonLogs)
    {
        logging.AddJsonConsole();
    }
    else
    {
        logging.AddSimpleConsole(console => console.SingleLine = true);
    }
});
var logger = loggerFactory.CreateLogger("Estuary.DevServer");
foreach (var warning in commandLine.Warnings)
{
    logger.LogWarning("{Warning}", warning);
}

var options = commandLine.Options;
options.LoggerFactory = loggerFactory;
var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.TrySetResult();
});
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    stop.TrySetResult();
});

TemporalDevServer server;
try
{
    server = await TemporalDevServer.StartAsync(options);
}
catch (Exception e) when (e is DevServerDatabaseException or ArgumentException)
{
    // A database file it cannot use, or settings that do not go together: bad input.
    await Console.Error.WriteLineAsync($"Error: {e.Message}");
    return 2;
}
catch (IOException e)
{
    // A port already taken (the gRPC port or the UI's): say which, without a stack trace.
    await Console.Error.WriteLineAsync($"Error: {e.Message}");
    return 1;
}
await using (server)
{
    var state = string.IsNullOrEmpty(options.DatabasePath) ? "in memory" : $"in {Path.GetFullPath(options.DatabasePath)}";
    Console.WriteLine($"Temporal dev server listening on {server.Address} (namespaces: {string.Join(", ", options.Namespaces)}; time skipping: {(options.TimeSkipping ? "on" : "off")}; state: {state})");
    if (server.UiUrl is { } ui)
    {
        Console.WriteLine($"Temporal UI: {ui}");
    }
    await stop.Task;
}
return 0;
