using System.Diagnostics;

namespace Estuary.AppHost.Tests;

/// <summary>Runs the built AppHost the way a user does: <c>dotnet run --no-build --project src/Estuary.AppHost -- …</c>.</summary>
internal static class AppHostRun
{
#if DEBUG
    internal const string Configuration = "Debug";
#else
    internal const string Configuration = "Release";
#endif

    /// <summary>Runs the AppHost to its end.</summary>
    /// <param name="arguments">The AppHost's own arguments (after <c>--</c>).</param>
    /// <returns>Its exit code, standard output and standard error.</returns>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(
            "dotnet",
            ["run", "--no-build", "-c", Configuration, "--project", Projects.Estuary_AppHost.ProjectPath, "--", .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Arguments that move the dashboard's URLs (the launch profile's 15080, 19080, 19081, 20080) to free ports, so a
    /// developer's running AppHost does not stand in the way.</summary>
    /// <param name="dashboardPort">The dashboard's own port, or 0 for a free one.</param>
    /// <returns>The AppHost arguments.</returns>
    public static string[] FreeDashboardUrls(int dashboardPort = 0) =>
    [
        $"ASPNETCORE_URLS=http://localhost:{(dashboardPort > 0 ? dashboardPort : AppHostFixture.FreePort())}",
        $"DOTNET_DASHBOARD_OTLP_ENDPOINT_URL=http://localhost:{AppHostFixture.FreePort()}",
        $"ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://localhost:{AppHostFixture.FreePort()}",
        $"DOTNET_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:{AppHostFixture.FreePort()}",
    ];
}
