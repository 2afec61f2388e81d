using System.ComponentModel.DataAnnotations;
using SendGate.Core.Hosting;

namespace SendGate.Core.Delivery;

public enum SmtpSecurity { Auto, None, StartTls, StartTlsWhenAvailable, SslOnConnect }

public sealed class SmtpOptions
{
    public const string Section = "SendGate:Smtp";

    [Required]
    public string Host { get; set; } = "localhost";

    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;

    public string? User { get; set; }

    public string? Password { get; set; }

    [Duration("00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Use ESMTP PIPELINING when the relay offers it.</summary>
    public bool Pipelining { get; set; } = true;

    /// <summary>Name announced in EHLO; the machine name when empty.</summary>
    public string? LocalDomain { get; set; }
}
