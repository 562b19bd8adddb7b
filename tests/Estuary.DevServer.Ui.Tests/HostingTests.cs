using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Estuary.DevServer.Ui.Tests.Workflows;

namespace Estuary.DevServer.Ui.Tests;

[Collection(UiGroup.Name)]
public sealed class HostingTests(UiFixture fixture)
{
    private static readonly string Executable = typeof(HostingTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "DevServerExecutable").Value!;

    [Fact]
    public async Task Executable_StartDev_ServesTheUiOnPortPlusThousandUnlessHeadless()
    {
        var port = FreePort();
        using var process = Start("server", "start-dev", "--port", port.ToString(CultureInfo.InvariantCulture), "--log-level", "warn");
        try
        {
            Assert.StartsWith($"Temporal dev server listening on 127.0.0.1:{port}", await process.StandardOutput.ReadLineAsync(), StringComparison.Ordinal);
            Assert.Equal($"Temporal UI: http://127.0.0.1:{port + 1000}/", await process.StandardOutput.ReadLineAsync());
            using var http = new HttpClient();
            var page = await http.GetStringAsync($"http://127.0.0.1:{port + 1000}/");
            Assert.Contains("<h1>", page, StringComparison.Ordinal);
            Assert.Contains("No workflows in this namespace yet", page, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Executable_UiPortTaken_ExitsWithOneLineNamingTheAddress()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var uiPort = ((IPEndPoint)taken.LocalEndpoint).Port;

        using var process = Start("server", "start-dev", "--port", FreePort().ToString(CultureInfo.InvariantCulture),
            "--ui-port", uiPort.ToString(CultureInfo.InvariantCulture), "--log-level", "warn");
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(1, process.ExitCode);
        Assert.Equal($"Error: Failed to bind to address http://127.0.0.1:{uiPort}: address already in use.", stderr.Trim());
    }

    [Fact]
    public async Task PostWithoutAntiforgeryToken_IsRejectedAndDoesNothing()
    {
        var handle = await fixture.Client.StartWorkflowAsync((WaitingWorkflow wf) => wf.RunAsync("kept"), new($"forged-{Guid.NewGuid():N}", UiFixture.TaskQueue));
        using var http = new HttpClient { BaseAddress = fixture.UiUrl };

        using var response = await http.PostAsync(
            $"/namespaces/default/workflows/{handle.Id}/{handle.ResultRunId}/terminate",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["reason"] = "forged" }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Form expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(Temporalio.Api.Enums.V1.WorkflowExecutionStatus.Running, (await handle.DescribeAsync()).Status);
        await handle.TerminateAsync("test over");
    }

    [Theory]
    [InlineData("/namespaces/no-such-namespace/workflows", HttpStatusCode.NotFound)]
    [InlineData("/namespaces/default/workflows/some-id/not-a-run-id/history", HttpStatusCode.NotFound)]
    [InlineData("/namespaces/default/workflows/some-id/4d0d0f54-9d6c-4b5e-8a0c-6b3bb8a0f3a1/history", HttpStatusCode.NotFound)]
    [InlineData("/namespaces/default/workflows?next=%%%", HttpStatusCode.OK)]
    [InlineData("/nothing/here", HttpStatusCode.NotFound)]
    public async Task BadAddresses_GetAPageNeverAStackTrace(string path, HttpStatusCode expected)
    {
        using var http = new HttpClient { BaseAddress = fixture.UiUrl };

        using var response = await http.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("<!DOCTYPE html>", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
    }

    /// <summary>Starts the DevServer executable with <paramref name="args"/>, its output redirected.</summary>
    internal static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return Process.Start(info)!;
    }

    private static int FreePort()
    {
        // The UI takes port + 1000: pick a port whose neighbour is free too.
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (port + 1000 > 65535)
            {
                continue;
            }
            try
            {
                using var ui = new TcpListener(IPAddress.Loopback, port + 1000);
                ui.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }
    }
}
