using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SendGate.IntegrationTests.SmtpIngress;

/// <summary>The SMTP door's settings for a test host: one STARTTLS endpoint on a free port of 127.0.0.1, a fresh self-signed certificate.</summary>
internal static class IngressSettings
{
    public static Dictionary<string, string?> WithStartTls(out string certificateFile)
    {
        // Written before the host starts: the files are checked on start.
        var folder = Path.Combine(Path.GetTempPath(), "sendgate-tests", "smtp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        certificateFile = Path.Combine(folder, "cert.pem");
        var keyFile = Path.Combine(folder, "key.pem");
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, rsa.ExportPkcs8PrivateKeyPem());
        return new Dictionary<string, string?>
        {
            ["SendGate:SmtpIngress:Enabled"] = "true",
            ["SendGate:SmtpIngress:Endpoints:0:Address"] = "127.0.0.1",
            ["SendGate:SmtpIngress:Endpoints:0:Port"] = "0",
            ["SendGate:SmtpIngress:Endpoints:0:Tls"] = "starttls",
            ["SendGate:SmtpIngress:CertificateFile"] = certificateFile,
            ["SendGate:SmtpIngress:KeyFile"] = keyFile,
        };
    }
}

/// <summary>What listens on a port of this machine, seen as an SMTP client sees it first.</summary>
internal static class SmtpGreeting
{
    /// <summary>The first line the server on <paramref name="port"/> says, or null when none listens.</summary>
    public static string? Of(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(IPAddress.Loopback, port);
            client.ReceiveTimeout = 5000;
            using var reader = new StreamReader(client.GetStream());
            return reader.ReadLine();
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
        {
            return null;
        }
    }
}
