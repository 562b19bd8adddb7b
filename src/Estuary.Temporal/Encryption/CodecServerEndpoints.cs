using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Temporalio.Api.Common.V1;
using Temporalio.Exceptions;

namespace Estuary.Temporal.Encryption;

/// <summary>
/// Temporal's codec server protocol over an <see cref="EncryptionPayloadCodec"/>, so Temporal's UI and CLI (and
/// Estuary's) show decrypted payloads to those who hold the access token: <c>POST {prefix}/decode</c> and
/// <c>POST {prefix}/encode</c> (also under a namespace segment, <c>{prefix}/{namespace}/decode</c>, as the CLI's
/// <c>--codec-endpoint</c> templates it), each taking and answering <c>{"payloads": [...]}</c> in proto3 JSON.
/// </summary>
public static class CodecServerEndpoints
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    /// <summary>The path a worker serves the codec endpoints under.</summary>
    public const string DefaultPrefix = "/codec";

    /// <summary>Maps the codec endpoints under <paramref name="prefix"/>.</summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="codec">The codec holding the keys.</param>
    /// <param name="options">The access token and allowed origins.</param>
    /// <param name="prefix">The path the endpoints start with.</param>
    /// <returns>The same endpoints.</returns>
    /// <exception cref="InvalidOperationException">No access token is configured: the keys are never served without one.</exception>
    public static IEndpointRouteBuilder MapCodecServer(this IEndpointRouteBuilder endpoints, EncryptionPayloadCodec codec, CodecServerOptions options, string prefix = DefaultPrefix)
    {
        if (string.IsNullOrEmpty(options.AccessToken))
        {
            throw new InvalidOperationException(
                $"Configuration key '{CodecServerOptions.SectionName}:{nameof(CodecServerOptions.AccessToken)}' is not set: the codec server needs a token to check its callers against.");
        }

        var token = Encoding.UTF8.GetBytes(options.AccessToken);
        foreach (var pattern in new[] { prefix, prefix + "/{namespace}" })
        {
            foreach (var (operation, convert) in new[] { ("decode", (Func<IReadOnlyCollection<Payload>, Task<IReadOnlyCollection<Payload>>>)codec.DecodeAsync), ("encode", codec.EncodeAsync) })
            {
                endpoints.MapPost($"{pattern}/{operation}", context => HandleAsync(context, token, options, convert));
                endpoints.MapMethods($"{pattern}/{operation}", [HttpMethods.Options], context =>
                {
                    context.Response.StatusCode = AllowOrigin(context, options) ? StatusCodes.Status204NoContent : StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                });
            }
        }

        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context, byte[] token, CodecServerOptions options,
        Func<IReadOnlyCollection<Payload>, Task<IReadOnlyCollection<Payload>>> convert)
    {
        AllowOrigin(context, options);
        if (!Authorized(context.Request, token))
        {
            await ProblemAsync(context, StatusCodes.Status401Unauthorized, "A valid 'Authorization: Bearer <token>' header is required.");
            return;
        }

        Payloads request;
        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            request = Parser.Parse<Payloads>(await reader.ReadToEndAsync(context.RequestAborted));
        }
        catch (InvalidProtocolBufferException e)
        {
            await ProblemAsync(context, StatusCodes.Status400BadRequest, $"The body is not {{\"payloads\": [...]}} in proto3 JSON: {e.Message}");
            return;
        }
        catch (InvalidJsonException e)
        {
            await ProblemAsync(context, StatusCodes.Status400BadRequest, $"The body is not JSON: {e.Message}");
            return;
        }

        IReadOnlyCollection<Payload> converted;
        try
        {
            converted = await convert(request.Payloads_);
        }
        catch (ApplicationFailureException e) when (e.ErrorType == EncryptionPayloadCodec.DecryptionFailureType)
        {
            await ProblemAsync(context, StatusCodes.Status422UnprocessableEntity, e.Message);
            return;
        }

        var response = new Payloads();
        response.Payloads_.AddRange(converted);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonFormatter.Default.Format(response), context.RequestAborted);
    }

    private static bool Authorized(HttpRequest request, byte[] token)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()), token);
    }

    // A browser's page may call the endpoints only from an allowed origin; the answer names it, with the headers
    // Temporal's UI sends.
    private static bool AllowOrigin(HttpContext context, CodecServerOptions options)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0 || !options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlAllowMethods = "POST";
        headers.AccessControlAllowHeaders = "Content-Type, X-Namespace, Authorization";
        headers.AccessControlAllowCredentials = "true";
        headers.Vary = "Origin";
        return true;
    }

    private static Task ProblemAsync(HttpContext context, int status, string detail) =>
        Results.Problem(detail: detail, statusCode: status).ExecuteAsync(context);
}
