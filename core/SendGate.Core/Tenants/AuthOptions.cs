using SendGate.Core.Hosting;

namespace SendGate.Core.Tenants;

public sealed class AuthOptions
{
    public const string Section = "SendGate:Auth";

    /// <summary>
    /// How long a host remembers a valid API key instead of reading it again; also the longest a
    /// key revoked on another host stays usable here. Zero reads the database on every request.
    /// </summary>
    [Duration("00:00:00", "00:05:00")]
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(10);
}
