#pragma warning disable ASPIRECERTIFICATES001 // IDeveloperCertificateService is experimental in Aspire 13.

using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging.Abstractions;

namespace Estuary.AppHost.Tests;

public sealed class DcpCertificateTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "estuary-dcp-cert-tests", Guid.NewGuid().ToString("N"));

    private string PfxPath => Path.Combine(_directory, "dcp-api-server.pfx");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void LoadOrCreate_NoFile_KeepsAnEcdsaLocalhostCertificateOnlyTheUserCanRead()
    {
        using var certificate = DcpCertificate.LoadOrCreate(PfxPath, Now);

        Assert.True(certificate.HasPrivateKey);
        using (var key = certificate.GetECDsaPrivateKey())
        {
            Assert.NotNull(key);
        }

        Assert.Equal("CN=localhost", certificate.Subject);
        var names = Assert.Single(certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["localhost"], names.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], names.EnumerateIPAddresses());
        Assert.Contains(certificate.Extensions.OfType<X509Extension>(), e => e.Oid?.Value == DcpCertificate.DevelopmentCertificateOid);
        Assert.Equal(Now.AddYears(1).UtcDateTime, certificate.NotAfter.ToUniversalTime());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PfxPath));
        }
    }

    [Fact]
    public void LoadOrCreate_KeptCertificate_SameCertificateWithItsKeyNextTime()
    {
        using var first = DcpCertificate.LoadOrCreate(PfxPath, Now);
        using var second = DcpCertificate.LoadOrCreate(PfxPath, Now.AddDays(30));

        Assert.Equal(first.Thumbprint, second.Thumbprint);
        Assert.True(second.HasPrivateKey);
    }

    [Fact]
    public void LoadOrCreate_KeptCertificateExpiresWithinAWeek_MakesANewOne()
    {
        using var first = DcpCertificate.LoadOrCreate(PfxPath, Now);
        using var second = DcpCertificate.LoadOrCreate(PfxPath, Now.AddYears(1).AddDays(-6));

        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
        using var third = DcpCertificate.LoadOrCreate(PfxPath, Now.AddYears(1).AddDays(-6));
        Assert.Equal(second.Thumbprint, third.Thumbprint);
    }

    [Fact]
    public void LoadOrCreate_FileUnreadable_MakesANewOne()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllBytes(PfxPath, [0x30, 0x82, 0x01]);

        using var certificate = DcpCertificate.LoadOrCreate(PfxPath, Now);

        Assert.True(certificate.HasPrivateKey);
        using var reread = X509CertificateLoader.LoadPkcs12FromFile(PfxPath, null);
        Assert.Equal(certificate.Thumbprint, reread.Thumbprint);
    }

    [Fact]
    public void Service_NoDevelopmentCertificateNoHttps_OffersTheKeptCertificateForDcpOnly()
    {
        var inner = new FakeCertificates([], useForHttps: false, trust: true);
        var service = Wrap(inner, servesHttps: false);

        var certificate = Assert.Single(service.Certificates);
        Assert.True(certificate.HasPrivateKey);
        Assert.True(File.Exists(PfxPath));
        Assert.True(service.UsesKeptCertificate);
        Assert.False(service.TrustCertificate);
        Assert.False(service.UseForHttps);
        Assert.False(service.SupportsContainerTrust);
    }

    [Fact]
    public void Service_TrustedDevelopmentCertificate_IsTheRealServiceUnchanged()
    {
        using var devCertificate = SelfSigned();
        var inner = new FakeCertificates([devCertificate], useForHttps: true, trust: true);
        var service = Wrap(inner, servesHttps: false);

        Assert.Same(devCertificate, Assert.Single(service.Certificates));
        Assert.False(service.UsesKeptCertificate);
        Assert.True(service.TrustCertificate);
        Assert.True(service.UseForHttps);
        Assert.False(File.Exists(PfxPath));
    }

    [Fact]
    public void Service_ModelServesHttpsWithoutDevelopmentCertificate_KeepsAspiresEmptyListAndWarning()
    {
        var inner = new FakeCertificates([], useForHttps: false, trust: true);
        var service = Wrap(inner, servesHttps: true);

        Assert.Empty(service.Certificates);
        Assert.False(service.UsesKeptCertificate);
        Assert.True(service.TrustCertificate);
        Assert.False(File.Exists(PfxPath));
    }

    [Fact]
    public void ServesHttps_ModelWithAnHttpsEndpoint_OnlyThen()
    {
        var plain = new ContainerResource("plain");
        plain.Annotations.Add(new EndpointAnnotation(ProtocolType.Tcp, uriScheme: "http", name: "http"));
        var secure = new ContainerResource("secure");
        secure.Annotations.Add(new EndpointAnnotation(ProtocolType.Tcp, uriScheme: "https", name: "https"));

        Assert.False(DcpCertificate.ServesHttps(new DistributedApplicationModel([plain])));
        Assert.True(DcpCertificate.ServesHttps(new DistributedApplicationModel([plain, secure])));
    }

    private DcpCertificate.ReusableDcpCertificateService Wrap(IDeveloperCertificateService inner, bool servesHttps) =>
        new(inner, () => servesHttps, PfxPath, NullLogger.Instance);

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256).CreateSelfSigned(Now.AddDays(-1), Now.AddDays(1));
    }

    private sealed class FakeCertificates(ImmutableList<X509Certificate2> certificates, bool useForHttps, bool trust) : IDeveloperCertificateService
    {
        public ImmutableList<X509Certificate2> Certificates => certificates;

        public bool SupportsContainerTrust => false;

        public bool UseForHttps => useForHttps;

        public bool TrustCertificate => trust;
    }
}
