using Estuary.Cli.Commands;
using Estuary.Temporal.Domains;
using Microsoft.Extensions.Configuration;

namespace Estuary.Tests.Commands;

/// <summary>Runs the CLI in process and captures what a user would see.</summary>
internal static class CommandLineRunner
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        IEnumerable<EstuaryDomain> domains, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var configuration = new ConfigurationBuilder().Build();
        var exitCode = await new EstuaryCommandLine(domains, configuration, output, error).RunAsync(args);
        return (exitCode, output.ToString(), error.ToString());
    }
}
