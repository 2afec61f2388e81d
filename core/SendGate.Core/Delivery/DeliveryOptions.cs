using System.ComponentModel.DataAnnotations;
using SendGate.Core.Data;
using SendGate.Core.Hosting;

namespace SendGate.Core.Delivery;

public enum DeliveryMode { Smtp, Pickup }

public sealed class DeliveryOptions
{
    public const string Section = "SendGate:Delivery";

    public DeliveryMode Mode { get; set; } = DeliveryMode.Pickup;

    /// <summary>Folder that receives one <c>.eml</c> file per delivered message in Pickup mode.</summary>
    [Required]
    public string PickupDirectory { get; set; } = "data/outbox";

    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The retry rule of the three mail queues (messages, password mails, notifications).</summary>
    public RetryRule Retries() => new(MaxAttempts, RetryBaseDelay, RetryMaxDelay);

    [Duration("00:00:01", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Duration("00:00:01", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a worker owns a claimed message; must exceed the SMTP timeout comfortably.</summary>
    [Duration("00:00:30", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>Concurrent SMTP connections per worker.</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = 4;

    /// <summary>
    /// How long one message may take to prepare and send before it is given up for this attempt
    /// (retried later like a relay's 4xx), so that one slow message or relay session never holds
    /// a lane; never longer than what is left of the lease.
    /// </summary>
    [Duration("00:00:01", "12:00:00")]
    public TimeSpan MessageTimeBudget { get; set; } = TimeSpan.FromMinutes(2);
}
