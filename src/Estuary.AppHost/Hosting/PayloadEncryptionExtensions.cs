using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Publishing;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Encryption;
using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

/// <summary>
/// Payload encryption for every worker of the AppHost: the keys are Aspire secret parameters <c>payload-key-&lt;id&gt;</c>
/// (for a local run generated on first use and kept in the AppHost's user secrets; required inputs of the publish
/// manifest), passed to each worker as <c>Estuary:Encryption:*</c>. The AppHost's <c>Estuary:Encryption:ActiveKey</c>
/// (default <c>k1</c>) names the key new payloads use and <c>Estuary:Encryption:RetiredKeys</c> those still needed to read
/// old ones. In a local run the keys reach each worker in a secrets file (<see cref="EncryptionSecretsFile"/>), never in its
/// environment, which the dashboard shows; <c>Estuary:Encryption:Enabled=false</c> turns encryption off in every worker. Each worker also serves Temporal's
/// codec server protocol at <c>/codec</c> behind the secret parameter <c>codec-access-token</c>, which the embedded
/// server's UI uses to show decoded payloads (given to it in a secrets file too).
/// </summary>
public static partial class PayloadEncryptionExtensions
{
    /// <summary>The prefix of a key's parameter name; the key id follows.</summary>
    public const string KeyParameterPrefix = LocalEncryption.KeyParameterPrefix;

    /// <summary>The name of the codec server's access token parameter.</summary>
    public const string CodecTokenParameter = "codec-access-token";

    /// <summary>Where a worker serves the codec endpoints.</summary>
    public const string CodecPath = "/codec";

    private const string Section = "Estuary:Encryption";

    /// <summary>Passes the encryption keys to every worker added so far (<see cref="WorkerHostingExtensions.AddWorker{TProject}"/>),
    /// in a local run through a secrets file; lets the page of Temporal's own UI (container, CLI) call their codec endpoints;
    /// passes the codec endpoint of the first to the embedded server's UI; annotates Temporal with <see cref="AppHostPayloadEncryption"/>
    /// so that the AppHost's own Temporal clients (the dashboard commands) encrypt with the same keys.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="temporal">Temporal, whose embedded server's UI decodes payloads through a worker.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="AppHostStartException">A key id or <c>Estuary:Encryption:Enabled</c> is invalid.</exception>
    public static IDistributedApplicationBuilder EncryptWorkerPayloads(this IDistributedApplicationBuilder builder, IResourceBuilder<TemporalResource> temporal)
    {
        var workers = builder.Resources.OfType<ProjectResource>()
            .Where(r => r.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == EstuaryEndpoints.WorkerHttp) && r is not TemporalProjectResource)
            .Select(builder.CreateResourceBuilder)
            .ToList();
        var configuration = builder.Configuration.GetSection(Section);
        var enabled = configuration["Enabled"] is not { } text ? true
            : bool.TryParse(text, out var value) ? value
            : throw new AppHostStartException($"Configuration key '{Section}:Enabled' must be true or false, got '{text}'.");
        if (!enabled)
        {
            StartupLog.Write(builder, $"Payload encryption: off ({Section}:Enabled=false); workflow data reaches Temporal in clear.");
            foreach (var worker in workers)
            {
                worker.WithEnvironment("Estuary__Encryption__Enabled", "false");
            }

            temporal.WithAnnotation(new AppHostPayloadEncryption(null, []));
            return builder;
        }

        var active = KeyId(configuration["ActiveKey"] ?? "k1", "ActiveKey");
        var retired = (configuration["RetiredKeys"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(id => KeyId(id, "RetiredKeys"))
            .Where(id => id != active)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var keys = retired.Prepend(active).Select(id => (Id: id, Parameter: KeyParameter(builder, id))).ToList();
        temporal.WithAnnotation(new AppHostPayloadEncryption(active, keys.Select(k => (k.Id, k.Parameter.Resource)).ToList()));
        var token = builder.AddParameter(CodecTokenParameter, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
        foreach (var worker in workers)
        {
            worker.WithEnvironment("Estuary__Encryption__ActiveKey", active);
            if (builder.ExecutionContext.IsPublishMode)
            {
                // The deployment keeps the parameters as secrets and hands them to the containers.
                worker.WithEnvironment("Estuary__Encryption__CodecServer__AccessToken", token);
                foreach (var (id, parameter) in keys)
                {
                    worker.WithEnvironment($"Estuary__Encryption__Keys__{id}", parameter);
                }
            }
            else
            {
                // A local run's environment is on show in the dashboard: the keys go through a file only the user reads.
                var file = SecretFiles.PathOf(builder, $"{worker.Resource.Name}.json");
                worker.WithEnvironment(EnvironmentVariable(EncryptionSecretsFile.Key), file)
                    .OnBeforeResourceStarted(async (_, _, cancellationToken) =>
                        SecretFiles.Write(file, await SecretsJsonAsync(keys.Select(k => (k.Id, k.Parameter.Resource)), token.Resource, cancellationToken)));
            }
        }

        // Temporal's own UI (its container's, the CLI's) calls a codec server from the browser: its page may call the
        // workers', by either name of this machine as typed in the address bar.
        if (temporal.Resource.Server is TemporalContainerResource or TemporalExecutableResource
            && temporal.Resource.Server.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.Name == EstuaryEndpoints.TemporalUi) is { Port: { } uiPort })
        {
            string[] origins = [$"http://localhost:{uiPort}", $"http://127.0.0.1:{uiPort}"];
            foreach (var worker in workers)
            {
                for (var i = 0; i < origins.Length; i++)
                {
                    worker.WithEnvironment($"Estuary__Encryption__CodecServer__AllowedOrigins__{i}", origins[i]);
                }
            }
        }

        if (temporal.Resource.Server is TemporalProjectResource embedded && workers.Count > 0)
        {
            // Run only locally, so its token, like a worker's secrets, goes through a file only the user reads.
            var codec = workers[0].GetEndpoint(EstuaryEndpoints.WorkerHttp);
            var tokenFile = SecretFiles.PathOf(builder, $"{embedded.Name}.codec-access-token");
            builder.CreateResourceBuilder(embedded)
                .WithEnvironment("TEMPORAL_CODEC_ENDPOINT", ReferenceExpression.Create($"{codec}{CodecPath}"))
                .WithEnvironment("ESTUARY_CODEC_ACCESS_TOKEN_FILE", tokenFile)
                .OnBeforeResourceStarted(async (_, _, cancellationToken) =>
                    SecretFiles.Write(tokenFile, await token.Resource.GetValueAsync(cancellationToken) ?? string.Empty));
        }

        StartupLog.Write(builder, $"Payload encryption: key '{active}'{(retired.Count > 0 ? $", retired {string.Join(", ", retired.Select(id => $"'{id}'"))}" : "")}, "
            + $"the secret parameters {string.Join(", ", keys.Select(k => k.Parameter.Resource.Name))}.");
        return builder;
    }

    private static string EnvironmentVariable(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    // The Estuary:Encryption values a worker reads from its secrets file (EncryptionSecretsFile).
    private static async Task<string> SecretsJsonAsync(IEnumerable<(string Id, ParameterResource Parameter)> keys, ParameterResource token, CancellationToken cancellationToken)
    {
        var values = new JsonObject();
        foreach (var (id, parameter) in keys)
        {
            values[id] = await parameter.GetValueAsync(cancellationToken);
        }

        return new JsonObject
        {
            [nameof(EncryptionOptions.Keys)] = values,
            ["CodecServer"] = new JsonObject { [nameof(CodecServerOptions.AccessToken)] = await token.GetValueAsync(cancellationToken) },
        }.ToJsonString();
    }

    // A key id becomes part of a parameter's (resource) name and of an environment variable's.
    private static string KeyId(string id, string key) =>
        KeyIdPattern().IsMatch(id) && PayloadKeyRing.IsValidKeyId(id)
            ? id
            : throw new AppHostStartException(
                $"Configuration key '{Section}:{key}' names key '{id}': an AppHost key id is 1 to 64 lower-case letters, digits or single '-', starting with a letter.");

    private static IResourceBuilder<ParameterResource> KeyParameter(IDistributedApplicationBuilder builder, string id) =>
        builder.ExecutionContext.IsPublishMode
            ? builder.AddParameter(KeyParameterPrefix + id, secret: true)
            : builder.AddParameter(KeyParameterPrefix + id, new NewKeyDefault(), secret: true, persist: true);

    [GeneratedRegex("^[a-z](?:-?[a-z0-9])*$")]
    private static partial Regex KeyIdPattern();

    // A fresh AES-256 key for a local run; never in the manifest, where the key is a required input.
    private sealed class NewKeyDefault : ParameterDefault
    {
        public override string GetDefaultValue() => PayloadKeyRing.NewKey();

        public override void WriteToManifest(ManifestPublishingContext context)
        {
        }
    }
}

/// <summary>The AppHost's payload encryption, an annotation of the Temporal resource, for the Temporal clients the AppHost
/// itself makes (dashboard commands): the same keys as the workers', read from their secret parameters when a client is made.</summary>
/// <param name="activeKey">The id of the key new payloads use; null when encryption is off.</param>
/// <param name="keys">Every key's id and secret parameter.</param>
public sealed class AppHostPayloadEncryption(string? activeKey, IReadOnlyList<(string Id, ParameterResource Parameter)> keys) : IResourceAnnotation
{
    /// <summary>Describes where the keys are for <c>estuary</c> (<see cref="LocalEndpoints"/>): the key ids and the user
    /// secrets <paramref name="userSecretsId"/> that hold them; never their values.</summary>
    /// <param name="userSecretsId">The AppHost's user secrets id, if it has one.</param>
    /// <returns>The description.</returns>
    public LocalEncryption Describe(string? userSecretsId) =>
        new(activeKey is not null, userSecretsId, activeKey, keys.Select(k => k.Id).Where(id => id != activeKey).ToList());

    /// <summary>Resolves the keys' parameters into the options a client's <see cref="Estuary.Temporal.Configuration.TemporalConnectionOptions.Encryption"/> takes.</summary>
    /// <param name="cancellationToken">Stops waiting for a parameter's value.</param>
    /// <returns>The options, disabled when encryption is off.</returns>
    public async Task<EncryptionOptions> ResolveAsync(CancellationToken cancellationToken)
    {
        var options = new EncryptionOptions { Enabled = activeKey is not null, ActiveKey = activeKey };
        foreach (var (id, parameter) in keys)
        {
            options.Keys[id] = await parameter.GetValueAsync(cancellationToken) ?? string.Empty;
        }

        return options;
    }
}
