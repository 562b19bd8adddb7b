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
public sealed class CodecEndpointTests : IAsyncLifetime
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
        var endpoint = new Uri(_codecServer!.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/codec");
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

    public async ValueTask DisposeAsync()
    {
        if (_codecServer is not null)
        {
            await _codecServer.DisposeAsync();
        }
    }

    // Starts a workflow (nobody polls its queue) whose input the client encrypts, and reads its history page from the UI.
    private async Task<string> RunPageAsync(TemporalDevServer server, string name)
    {
        var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions(server.Address)
        {
            DataConverter = DataConverter.Default with { PayloadCodec = _codec },
        });
        var handle = await client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync(name), new($"codec-{Guid.NewGuid():N}", $"nobody-{Guid.NewGuid():N}"));
        using var http = new HttpClient { BaseAddress = server.UiUrl };
        return await http.GetStringAsync($"/namespaces/default/workflows/{handle.Id}/{handle.ResultRunId}/history");
    }
}
