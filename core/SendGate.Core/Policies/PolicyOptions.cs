using System.ComponentModel.DataAnnotations;
using SendGate.Core.Hosting;

namespace SendGate.Core.Policies;

public sealed class PolicyOptions
{
    public const string Section = "SendGate:Policy";

    /// <summary>
    /// The policy a new tenant starts with: <c>recommended</c> (documented in the README),
    /// <c>empty</c> (no rules: everything is sent at once), or the path of a policy JSON file as
    /// exported by <c>GET /v1/policies</c>.
    /// </summary>
    [Required]
    public string InitialPolicy { get; set; } = "recommended";

    /// <summary>How long a host reuses a tenant's policy and settings; edits made on this host apply at once.</summary>
    [Duration("00:00:00", "00:05:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a host reuses the list of domains a tenant has delivered to (first-time and look-alike checks).</summary>
    [Duration("00:00:00", "01:00:00")]
    public TimeSpan DeliveryHistoryCacheDuration { get; set; } = TimeSpan.FromSeconds(30);
}
