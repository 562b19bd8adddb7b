using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Estuary.Temporal.Encryption;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;

namespace Estuary.Tests.Encryption;

/// <summary>The codec server protocol as Temporal's UI and CLI speak it, on a real Kestrel on the loopback address.</summary>
public sealed class CodecServerTests : IAsyncLifetime
{
    private const string Token = "test-token-7f3a";
    private const string UiOrigin = "http://localhost:8233";

    private readonly EncryptionPayloadCodec _codec = new(new PayloadKeyRing("a", new Dictionary<string, byte[]> { ["a"] = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray() }));
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        var options = new CodecServerOptions { AccessToken = Token };
        options.AllowedOrigins.Add(UiOrigin);
        _app.MapCodecServer(_codec, options);
        await _app.StartAsync(TestContext.Current.CancellationToken);
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private static Payload Plain(string text) => DataConverter.Default.PayloadConverter.ToPayload(text);

    private async Task<HttpResponseMessage> PostAsync(string path, Payloads payloads, string? token = Token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(JsonFormatter.Default.Format(payloads), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Namespace", "default");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<Payloads> ReadAsync(HttpResponseMessage response) =>
        JsonParser.Default.Parse<Payloads>(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

    [Theory]
    [InlineData("/codec/decode")]
    [InlineData("/codec/default/decode")]
    public async Task Decode_EncryptedPayloadsWithTheToken_AnswersThemDecrypted(string path)
    {
        var encrypted = await _codec.EncodeAsync([Plain("Ada Lovelace"), Plain("ada@example.com")]);

        using var response = await PostAsync(path, new Payloads { Payloads_ = { encrypted } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var decoded = await ReadAsync(response);
        Assert.Equal(["Ada Lovelace", "ada@example.com"], decoded.Payloads_.Select(p => DataConverter.Default.PayloadConverter.ToValue<string>(p)));
    }

    [Fact]
    public async Task Encode_PlainPayloads_AnswersCiphertextTheCodecDecrypts()
    {
        using var response = await PostAsync("/codec/encode", new Payloads { Payloads_ = { Plain("Ada Lovelace") } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var encoded = (await ReadAsync(response)).Payloads_.Single();
        Assert.True(EncryptionPayloadCodec.IsEncrypted(encoded));
        Assert.Equal(Plain("Ada Lovelace"), (await _codec.DecodeAsync([encoded])).Single());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Decode_WithoutTheToken_UnauthorizedAndNothingDecrypted(string? token)
    {
        var encrypted = await _codec.EncodeAsync([Plain("Ada Lovelace")]);

        using var response = await PostAsync("/codec/decode", new Payloads { Payloads_ = { encrypted } }, token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("Lovelace", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_AlteredCiphertext_UnprocessableNamingTheKey()
    {
        var encrypted = (await _codec.EncodeAsync([Plain("Ada Lovelace")])).Single();
        var data = encrypted.Data.ToByteArray();
        data[^1] ^= 1;
        encrypted.Data = ByteString.CopyFrom(data);

        using var response = await PostAsync("/codec/decode", new Payloads { Payloads_ = { encrypted } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("key 'a'", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_BodyNotPayloads_BadRequest()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/codec/decode") { Content = new StringContent("{\"payloads\": 3}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData(UiOrigin, HttpStatusCode.NoContent)]
    [InlineData("http://evil.example", HttpStatusCode.Forbidden)]
    public async Task Preflight_FromAnOrigin_AllowedOnlyForTheConfiguredOnes(string origin, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/codec/decode");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,x-namespace,authorization");

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.NoContent)
        {
            Assert.Equal(origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Equal(["Authorization", "Content-Type", "X-Namespace"],
                response.Headers.GetValues("Access-Control-Allow-Headers").Single().Split(',', StringSplitOptions.TrimEntries).Order());
            Assert.Equal("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        }
        else
        {
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }

    [Fact]
    public async Task Decode_FromTheAllowedOriginWithoutTheToken_UnauthorizedAndNothingDecrypted()
    {
        var encrypted = await _codec.EncodeAsync([Plain("Ada Lovelace")]);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/codec/decode")
        {
            Content = new StringContent(JsonFormatter.Default.Format(new Payloads { Payloads_ = { encrypted } }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Origin", UiOrigin);
        request.Headers.Add("X-Namespace", "default");

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        // The page may read the refusal, and nothing else.
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(UiOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.DoesNotContain("Lovelace", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost:8233/ui")]
    [InlineData("localhost:8233")]
    public void FromConfiguration_AllowedOriginNotAnOrigin_OneLineNamingTheKey(string origin)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Estuary:Encryption:CodecServer:AllowedOrigins:0", origin)]).Build();

        var error = Assert.Throws<InvalidOperationException>(() => CodecServerOptions.FromConfiguration(configuration));

        Assert.Equal($"Configuration key 'Estuary:Encryption:CodecServer:AllowedOrigins:0' must be an origin such as http://localhost:8233, got '{origin}'.", error.Message);
    }

    [Fact]
    public void MapCodecServer_NoAccessToken_RefusesToServeTheKeys()
    {
        var app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapCodecServer(_codec, new CodecServerOptions()));

        Assert.Contains("'Estuary:Encryption:CodecServer:AccessToken' is not set", error.Message, StringComparison.Ordinal);
    }
}
