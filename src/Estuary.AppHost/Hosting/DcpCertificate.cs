#pragma warning disable ASPIRECERTIFICATES001 // IDeveloperCertificateService is experimental in Aspire 13.

using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// Gives DCP's API server a certificate kept for the user when the machine has no trusted ASP.NET Core development
/// certificate, so that DCP does not generate a new TLS key on every start.
/// </summary>
/// <remarks>
/// Aspire hands DCP (the orchestrator it starts first, which everything else waits for) the trusted development
/// certificate as its API server's certificate. Without one, DCP generates an ephemeral RSA key at every start: about
/// 2 s of CPU on one thread of a two-core machine, on the critical path of every resource (<c>perf</c>, measured here).
/// Here the AppHost's <see cref="IDeveloperCertificateService"/> is wrapped: when the real service finds no certificate
/// and no resource of the model serves HTTPS, it offers an ECDSA P-256 certificate for <c>localhost</c>, made once
/// (in about a millisecond) and kept for the user, like the development certificate, in
/// <c>~/.local/share/estuary/dcp-api-server.pfx</c> (every checkout and test run shares it). Aspire passes it to DCP only;
/// it is not offered for HTTPS termination nor trusted by resources. A machine with a trusted development certificate,
/// or a model serving HTTPS (which needs one, and should keep Aspire's warning when there is none), is left as it is.
/// </remarks>
public static class DcpCertificate
{
    // The extension by which Aspire (and dotnet dev-certs) recognise a development certificate; Aspire hands DCP
    // certificate files only for certificates that carry it.
    internal const string DevelopmentCertificateOid = "1.3.6.1.4.1.311.84.1.1";

    /// <summary>Registers the wrapper described on <see cref="DcpCertificate"/>: in run mode, on Linux only (on Windows
    /// Aspire hands DCP a thumbprint to find in the user's certificate store, where the kept certificate is not; macOS
    /// is untested).</summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The same builder.</returns>
    public static IDistributedApplicationBuilder UseReusableDcpCertificate(this IDistributedApplicationBuilder builder)
    {
        var registered = builder.Services.LastOrDefault(d => d.ServiceType == typeof(IDeveloperCertificateService));
        var userData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        if (!OperatingSystem.IsLinux() || !builder.ExecutionContext.IsRunMode || userData.Length == 0
            || registered?.ImplementationType is not { } implementation)
        {
            return builder;
        }

        var path = Path.Combine(userData, "estuary", "dcp-api-server.pfx");
        builder.Services.Remove(registered);
        builder.Services.AddSingleton<IDeveloperCertificateService>(services => new ReusableDcpCertificateService(
            (IDeveloperCertificateService)ActivatorUtilities.CreateInstance(services, implementation),
            () => ServesHttps(services.GetRequiredService<DistributedApplicationModel>()),
            path,
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DcpCertificate).FullName!)));
        return builder;
    }

    /// <summary>Whether any resource of the model has an HTTPS endpoint.</summary>
    /// <param name="model">The application model.</param>
    /// <returns><see langword="true"/> when one does.</returns>
    internal static bool ServesHttps(DistributedApplicationModel model) =>
        model.Resources.Any(r => r.Annotations.OfType<EndpointAnnotation>().Any(e => e.UriScheme == "https"));

    /// <summary>Reads the certificate kept at <paramref name="path"/>, or makes and keeps a new one when there is none,
    /// it cannot be read, or it expires within a week.</summary>
    /// <param name="path">The PKCS#12 file.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The certificate, with its private key.</returns>
    internal static X509Certificate2 LoadOrCreate(string path, DateTimeOffset now)
    {
        if (File.Exists(path))
        {
            try
            {
                var kept = X509CertificateLoader.LoadPkcs12FromFile(path, null, X509KeyStorageFlags.Exportable);
                if (kept.HasPrivateKey && kept.NotBefore <= now && now.AddDays(7) < kept.NotAfter)
                {
                    return kept;
                }

                kept.Dispose();
            }
            catch (CryptographicException)
            {
                // Unreadable (truncated, or from another platform's store): made again below.
            }
        }

        using var created = Create(now);
        var pfx = created.Export(X509ContentType.Pkcs12);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temporary, options))
        {
            file.Write(pfx);
        }

        File.Move(temporary, path, overwrite: true);
        return X509CertificateLoader.LoadPkcs12(pfx, null, X509KeyStorageFlags.Exportable);
    }

    private static X509Certificate2 Create(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509Extension(DevelopmentCertificateOid, [1], false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
    }

    /// <summary>The real service, unless it has no certificate and the model serves no HTTPS: then the kept certificate,
    /// offered for nothing but DCP.</summary>
    internal sealed class ReusableDcpCertificateService(
        IDeveloperCertificateService inner, Func<bool> modelServesHttps, string path, ILogger logger) : IDeveloperCertificateService
    {
        private readonly Lazy<ImmutableList<X509Certificate2>?> _kept = new(() =>
        {
            if (inner.Certificates.Count > 0 || modelServesHttps())
            {
                return null;
            }

            try
            {
                var certificate = LoadOrCreate(path, DateTimeOffset.Now);
                logger.LogDebug("No trusted development certificate: DCP's API server uses {Path} ({Thumbprint}).", path, certificate.Thumbprint);
                return [certificate];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                logger.LogDebug(e, "Could not keep a certificate for DCP at {Path}: DCP makes its own.", path);
                return null;
            }
        });

        /// <summary>Gets whether the kept certificate replaces the real service's (empty) list.</summary>
        public bool UsesKeptCertificate => _kept.Value is not null;

        public ImmutableList<X509Certificate2> Certificates => _kept.Value ?? inner.Certificates;

        public bool SupportsContainerTrust => !UsesKeptCertificate && inner.SupportsContainerTrust;

        public bool UseForHttps => !UsesKeptCertificate && inner.UseForHttps;

        public bool TrustCertificate => !UsesKeptCertificate && inner.TrustCertificate;

        public bool LatestCertificateIsUntrusted => inner.LatestCertificateIsUntrusted;
    }
}
