using System.ComponentModel.DataAnnotations;
using SendGate.Core.Hosting;

namespace SendGate.Core.Tenants;

/// <summary>
/// The quotas a tenant has unless the operator set its own (<c>PUT /v1/operator/tenants/{id}/quotas</c>).
/// 0 means no limit; the defaults leave a single-company installation unlimited in mail and bounded
/// in the things that only grow by mistake (keys, webhook endpoints).
/// </summary>
public sealed class QuotaOptions
{
    public const string Section = "SendGate:Quotas";

    /// <summary>Messages accepted per day (the tenant's own calendar day, in its time zone).</summary>
    [Range(0, long.MaxValue)]
    public long MessagesPerDay { get; set; }

    /// <summary>Bytes of mail whose content is kept (originals not yet purged by retention).</summary>
    [Range(0, long.MaxValue)]
    public long StoredBytes { get; set; }

    /// <summary>Active API keys.</summary>
    [Range(0, 100_000)]
    public long ApiKeys { get; set; } = 100;

    /// <summary>Webhook endpoints.</summary>
    [Range(0, 10_000)]
    public long WebhookEndpoints { get; set; } = 20;

    /// <summary>
    /// How long a host trusts what it read of a tenant's suspension, quotas and usage before reading
    /// again; other hosts' submissions of the last moments may be missing from the count this long.
    /// </summary>
    [Duration("00:00:00", "00:05:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(5);
}
