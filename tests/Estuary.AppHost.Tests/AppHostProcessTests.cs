using System.Diagnostics;
using System.Globalization;

namespace Estuary.AppHost.Tests;

/// <summary>The built AppHost run as a process, the way a user runs it, from start to SIGTERM.</summary>
public sealed class AppHostProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    // Readable by the postgres user the cluster runs as when the tests run as root.
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "estuary-apphost-process-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Run_UntilSigterm_PrintsOneReadyBlockWithTheDashboardThenStopsCleanly()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("The AppHost is stopped with SIGTERM, which Windows does not have.");
        }

        Directory.CreateDirectory(_directory);
        var state = Path.Combine(_directory, "state");
        var endpointsFile = Path.Combine(_directory, "local.json");
        var temporalPort = AppHostFixture.FreePortWithFreeUiPort();
        var dashboardPort = AppHostFixture.FreePort();
        var start = new ProcessStartInfo(
            Path.Combine(Projects.Estuary_AppHost.ProjectPath, "bin", AppHostRun.Configuration, "net10.0", "Estuary.AppHost"),
            ["Temporal:Mode=Embedded", "Postgres:Mode=Local", $"Temporal:Port={temporalPort}", $"Estuary:StateDirectory={state}", $"Estuary:LocalEndpointsFile={endpointsFile}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };

        // What the launch profile sets, on free ports.
        foreach (var (name, value) in new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
            ["ASPNETCORE_URLS"] = $"http://localhost:{dashboardPort}",
            ["DOTNET_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{AppHostFixture.FreePort()}",
            ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = $"http://localhost:{AppHostFixture.FreePort()}",
            ["DOTNET_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{AppHostFixture.FreePort()}",
        })
        {
            start.Environment[name] = value;
        }

        var lines = new List<string>();
        var readyBlockEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }

                if (line.Contains("estuary finds them in ", StringComparison.Ordinal))
                {
                    readyBlockEnd.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        };
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            await Task.WhenAny(readyBlockEnd.Task, process.WaitForExitAsync(timeout.Token));
            Assert.True(readyBlockEnd.Task.IsCompleted, $"the AppHost was not ready within {Timeout} or exited before:{Environment.NewLine}{Output(lines)}");

            // The ready block names the dashboard with its login token; the URL logs the browser in.
            var dashboard = Snapshot(lines).Single(line => line.TrimStart().StartsWith("Dashboard:", StringComparison.Ordinal)).Split("Dashboard:")[1].Trim();
            Assert.StartsWith($"http://localhost:{dashboardPort}/login?t=", dashboard, StringComparison.Ordinal);
            using (var http = new HttpClient())
            using (var response = await http.GetAsync(new Uri(dashboard), timeout.Token))
            {
                Assert.True(response.IsSuccessStatusCode, $"GET {dashboard}: {(int)response.StatusCode}");
            }

            Assert.Contains(Snapshot(lines), line => line.Contains($"Temporal:   localhost:{temporalPort}, namespace default", StringComparison.Ordinal));
            Assert.True(File.Exists(endpointsFile), "the AppHost did not write its endpoints file");

            // SIGTERM, as a service manager or Ctrl+C in a terminal stops it: everything stops, nothing is left behind.
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync(timeout.Token);
            }

            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}:{Environment.NewLine}{Output(lines)}");
            Assert.False(File.Exists(endpointsFile), "the endpoints file outlived its AppHost");
            Assert.False(File.Exists(Path.Combine(state, "postgres", "data", "postmaster.pid")), $"PostgreSQL did not shut down cleanly:{Environment.NewLine}{Output(lines)}");
            Assert.Single(Snapshot(lines), line => line.Contains("Estuary is ready.", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines];
        }
    }

    private static string Output(List<string> lines) => string.Join(Environment.NewLine, Snapshot(lines));
}
