using System.Text.RegularExpressions;
using Estuary.DevServer.Ui.Tests.Workflows;
using Estuary.Temporal.Encryption;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Client;
using Temporalio.Converters;

namespace Estuary.DevServer.Ui.Tests;

/// <summary>The UI with a codec endpoint (Temporal's codec server protocol) shows decrypted payloads; without one, that they are encrypted.</summary>
public sealed partial class CodecEndpointTests : IAsyncLifetime
{
    private const string Token = "ui-codec-test-token";
    private readonly EncryptionPayloadCodec _codec = new(new PayloadKeyRing("k1", new Dictionary<string, byte[]> { ["k1"] = Convert.FromBase64String(PayloadKeyRing.NewKey()) }));
    private WebApplication? _codecServer;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddRouting();
        _codecServer = builder.Build();
        _codecServer.MapCodecServer(_codec, new CodecServerOptions { AccessToken = Token });
        await _codecServer.StartAsync();
    }

    [Fact]
    public async Task RunPage_EncryptedInput_DecodedWithTheCodecEndpointAndShownEncryptedWithout()
    {
        var endpoint = CodecEndpoint();
        await using var decoding = await TemporalDevServer.StartAsync(new DevServerOptions { UiPort = 0, UiCodecEndpoint = endpoint, UiCodecAccessToken = Token });
        await using var plain = await TemporalDevServer.StartAsync(new DevServerOptions { UiPort = 0 });
        var name = $"Ada-{Guid.NewGuid():N}";

        var decoded = await RunPageAsync(decoding, name);
        var encrypted = await RunPageAsync(plain, name);

        Assert.Contains(name, decoded, StringComparison.Ordinal);
        Assert.DoesNotContain("binary/encrypted", decoded, StringComparison.Ordinal);
        Assert.DoesNotContain(name, encrypted, StringComparison.Ordinal);
        Assert.Contains("encrypted (binary/encrypted)", encrypted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Executable_CodecAccessTokenFile_UiSendsTheTokenReadFromTheFile()
    {
        var tokenFile = Path.Combine(Path.GetTempPath(), $"codec-token-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(tokenFile, Token + "\n", TestContext.Current.CancellationToken);
        using var process = HostingTests.Start("server", "start-dev", "--port", "0", "--ui-port", "0", "--log-level", "warn",
            "--ui-codec-endpoint", CodecEndpoint().ToString(), "--ui-codec-access-token-file", tokenFile);
        try
        {
            var listening = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
            var address = Assert.Single(ListeningAddress().Matches(listening ?? "")).Groups[1].Value;
            var ui = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) ?? "";
            Assert.StartsWith("Temporal UI: ", ui, StringComparison.Ordinal);
            var name = $"Grace-{Guid.NewGuid():N}";

            var page = await RunPageAsync(address, new Uri(ui["Temporal UI: ".Length..]), name);

            // The codec endpoint answers only with the token: the input shows decoded because the UI sent the file's.
            Assert.Contains(name, page, StringComparison.Ordinal);
            Assert.DoesNotContain("binary/encrypted", page, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public async Task Executable_CodecAccessTokenFileMissing_ExitsWithOneLineNamingTheFile()
    {
        var tokenFile = Path.Combine(Path.GetTempPath(), $"no-such-codec-token-{Guid.NewGuid():N}");

        using var process = HostingTests.Start("server", "start-dev", "--port", "0", "--ui-port", "0", "--ui-codec-access-token-file", tokenFile);
        var stderr = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        Assert.Equal($"Error: invalid value for --ui-codec-access-token-file: {tokenFile} (no such file)", stderr.Trim());
    }

    public async ValueTask DisposeAsync()
    {
        if (_codecServer is not null)
        {
            await _codecServer.DisposeAsync();
        }
    }

    [GeneratedRegex(@"^Temporal dev server listening on (\S+) ")]
    private static partial Regex ListeningAddress();

    private Uri CodecEndpoint() =>
        new(_codecServer!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/codec");

    private Task<string> RunPageAsync(TemporalDevServer server, string name) => RunPageAsync(server.Address, server.UiUrl!, name);

    // Starts a workflow (nobody polls its queue) whose input the client encrypts, and reads its history page from the UI.
    private async Task<string> RunPageAsync(string address, Uri uiUrl, string name)
    {
        var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(address)
        {
            DataConverter = DataConverter.Default with { PayloadCodec = _codec },
        });
        var handle = await client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync(name), new($"codec-{Guid.NewGuid():N}", $"nobody-{Guid.NewGuid():N}"));
        using var http = new HttpClient { BaseAddress = uiUrl };
        return await http.GetStringAsync($"/namespaces/default/workflows/{handle.Id}/{handle.ResultRunId}/history");
    }
}
