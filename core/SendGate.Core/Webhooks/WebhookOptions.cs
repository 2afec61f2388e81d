using System.ComponentModel.DataAnnotations;
using SendGate.Core.Data;
using SendGate.Core.Hosting;

namespace SendGate.Core.Webhooks;

public sealed class WebhookOptions
{
    public const string Section = "SendGate:Webhooks";

    /// <summary>Allow plain http:// endpoint URLs (https is required otherwise).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Allow loopback, private, link-local and other internal addresses (refused otherwise: SSRF).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Hosts or IP addresses allowed even though they are internal, e.g. an in-house receiver.</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>How long one delivery attempt may take.</summary>
    [Duration("00:00:01", "00:02:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>At most this much of a receiver's answer is read (the rest is ignored).</summary>
    [Range(0, 1024 * 1024)]
    public int MaxResponseBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Attempts before a delivery is failed. With the default backoff (30 s doubling, capped at
    /// 4 h, each delay 50–100 % of that for jitter) the last attempt comes 14 to 28 hours after the first.
    /// </summary>
    [Range(1, 30)]
    public int MaxAttempts { get; set; } = 16;

    [Duration("00:00:01", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Duration("00:00:01", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(4);

    public RetryRule Retries() => new(MaxAttempts, RetryBaseDelay, RetryMaxDelay);

    /// <summary>
    /// How long a worker owns a claimed batch of one endpoint's deliveries: a few attempts of
    /// <see cref="Timeout"/> each; what the lease leaves no time for goes back to the queue.
    /// </summary>
    public TimeSpan LeaseDuration => (Timeout * 3) + TimeSpan.FromMinutes(1);

    /// <summary>An endpoint is disabled after this many deliveries in a row failed for good.</summary>
    [Range(1, 1000)]
    public int DisableAfterFailures { get; set; } = 5;

    /// <summary>Endpoints delivered to at the same time.</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = 8;

    /// <summary>
    /// How far back fan-out looks again for events committed late (a transaction's events carry the
    /// time it began); longer than any transaction takes.
    /// </summary>
    [Duration("00:00:01", "01:00:00")]
    public TimeSpan FanOutWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long finished deliveries (succeeded or failed for good) and their attempt logs are kept
    /// for GET /v1/webhooks/{id}/deliveries; an hourly job deletes older ones. Pending ones stay.
    /// </summary>
    [Duration("1.00:00:00", "3650.00:00:00")]
    public TimeSpan DeliveryRetention { get; set; } = TimeSpan.FromDays(30);
}
