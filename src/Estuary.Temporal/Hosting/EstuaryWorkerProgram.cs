using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The program of a domain worker: builds and runs it, and turns invalid configuration into one line on stderr (and one
/// error log record once logging exists) and exit code 1 instead of an unhandled exception with a stack trace.
/// </summary>
public static class EstuaryWorkerProgram
{
    /// <summary>The exit code of a worker whose configuration is invalid.</summary>
    public const int InvalidConfiguration = 1;

    /// <summary>
    /// Creates the worker's <see cref="WebApplication"/>, lets <paramref name="configure"/> add its services and
    /// <paramref name="map"/> its endpoints, and runs it until it stops. Invalid configuration stops it with one line naming
    /// the problem: an <see cref="InvalidOperationException"/> while the services are added (where the worker's options,
    /// e.g. <c>Estuary:Encryption:*</c> and <c>Temporal:*</c>, are read and checked) or an
    /// <see cref="OptionsValidationException"/> of the options validated at start, checked before it starts; anything else propagates.
    /// </summary>
    /// <param name="args">The process arguments.</param>
    /// <param name="configure">Adds the worker's services (<c>AddServiceDefaults</c>, <c>AddEstuaryWorker</c>).</param>
    /// <param name="map">Maps the worker's endpoints.</param>
    /// <returns>The exit code: <see cref="Environment.ExitCode"/> when the worker stopped, <see cref="InvalidConfiguration"/> when its configuration is invalid.</returns>
    public static int Run(string[] args, Action<WebApplicationBuilder> configure, Action<WebApplication> map)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(map);
        WebApplication app;
        try
        {
            var builder = WebApplication.CreateBuilder(args);
            configure(builder);
            app = builder.Build();
        }
        catch (InvalidOperationException e)
        {
            // Logging is not built yet: stderr is the only place to say it.
            Console.Error.WriteLine(OneLine(e));
            return InvalidConfiguration;
        }

        using (app)
        {
            try
            {
                // Options validated at start, checked here first: the host would log the failure with a stack trace.
                app.Services.GetService<IStartupValidator>()?.Validate();
            }
            catch (OptionsValidationException e)
            {
                app.Logger.LogError("{Error}", OneLine(e));
                Console.Error.WriteLine(OneLine(e));
                return InvalidConfiguration;
            }

            map(app);
            app.Run();
        }

        // A worker that stops itself (e.g. what it needs stays unreachable) has set the exit code already.
        return Environment.ExitCode;
    }

    private static string OneLine(Exception e) =>
        (e is OptionsValidationException validation ? string.Join(" ", validation.Failures) : e.Message).ReplaceLineEndings(" ").Trim();
}
