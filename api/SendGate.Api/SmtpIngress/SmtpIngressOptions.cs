using System.ComponentModel.DataAnnotations;
using SendGate.Core.Hosting;

namespace SendGate.Api.SmtpIngress;

/// <summary>How an SMTP endpoint offers TLS.</summary>
public static class SmtpTls
{
    /// <summary>Plain at first; STARTTLS offered (the certificate is required). AUTH only after it.</summary>
    public const string StartTls = "starttls";

    /// <summary>TLS from the first byte (port 465 style, "SMTPS").</summary>
    public const string Implicit = "implicit";

    /// <summary>No TLS at all: only connector-mode clients that do not require TLS can send.</summary>
    public const string None = "none";

    public static readonly IReadOnlyList<string> All = [StartTls, Implicit, None];
}

public sealed class SmtpEndpointOptions
{
    /// <summary>The address to listen on: <c>0.0.0.0</c> (every IPv4 address), <c>::</c>, or one address.</summary>
    public string Address { get; set; } = "0.0.0.0";

    /// <summary>The port; 0 picks a free one (tests).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 2525;

    public string Tls { get; set; } = SmtpTls.StartTls;
}

/// <summary>
/// <c>SendGate:SmtpIngress</c>: the SMTP door, off by default. Turned on, the API host listens
/// for the company's mail server (Exchange Online connector, Postfix relayhost, Google's route)
/// and hands every message to the same intake, policy, lifecycle and archive as the REST API.
/// </summary>
public sealed class SmtpIngressOptions
{
    public const string Section = "SendGate:SmtpIngress";

    public bool Enabled { get; set; }

    /// <summary>The name in the greeting, the EHLO reply and the Received line it adds.</summary>
    public string ServerName { get; set; } = "sendgate";

    /// <summary>Where to listen; none configured: every IPv4 address on port 2525, with STARTTLS when a certificate is set.</summary>
    public List<SmtpEndpointOptions> Endpoints { get; set; } = [];

    /// <summary>The endpoints to open: <see cref="Endpoints"/>, or the default one.</summary>
    public IReadOnlyList<SmtpEndpointOptions> EffectiveEndpoints() => Endpoints.Count > 0
        ? Endpoints
        : [new SmtpEndpointOptions { Tls = CertificateFile is null ? SmtpTls.None : SmtpTls.StartTls }];

    /// <summary>PEM certificate (with its chain) for STARTTLS and implicit TLS.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Recipients per transaction; more are answered 452 (the client sends them in another transaction).</summary>
    [Range(1, 10_000)]
    public int MaxRecipients { get; set; } = 500;

    /// <summary>How long the server waits for a command (DATA included) before it closes the session.</summary>
    [Duration("00:00:10", "01:00:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one session may last at all.</summary>
    [Duration("00:01:00", "1.00:00:00")]
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Sessions open at once from one client address; more are answered 421 and closed.</summary>
    [Range(1, 10_000)]
    public int MaxConnectionsPerClient { get; set; } = 50;

    /// <summary>Sessions open at once on this host, from all clients; more are answered 421 and closed.</summary>
    [Range(1, 100_000)]
    public int MaxConnections { get; set; } = 1000;

    /// <summary>
    /// Message bytes held in memory at once by every session together while DATA arrives (each
    /// message is held whole until it is stored). A message that would go over is answered
    /// <c>452 4.3.1</c> and its client sends it again later; at least the largest message.
    /// </summary>
    [Range(1_048_576L, 68_719_476_736L)]
    public long MaxBufferedBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Failed AUTH attempts in one session before it is closed.</summary>
    [Range(1, 20)]
    public int MaxAuthenticationAttempts { get; set; } = 3;
}
