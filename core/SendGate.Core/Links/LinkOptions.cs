using System.ComponentModel.DataAnnotations;
using SendGate.Core.Hosting;

namespace SendGate.Core.Links;

public sealed class LinkOptions
{
    public const string Section = "SendGate:Links";

    /// <summary>The download store: one folder per tenant holding the files of its live links (not the archive).</summary>
    [Required]
    public string StoreFolder { get; set; } = "data/downloads";

    /// <summary>How long a one-time code works once mailed.</summary>
    [Duration("00:01:00", "01:00:00")]
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Wrong entries of one code before a new one must be requested.</summary>
    [Range(1, 20)]
    public int CodeAttempts { get; set; } = 5;

    /// <summary>Codes one link may mail within an hour, whoever asks (a page cannot be used to flood a recipient).</summary>
    [Range(1, 100)]
    public int CodesPerLinkPerHour { get; set; } = 10;

    /// <summary>How long a browser that entered the right code may download without a new one.</summary>
    [Duration("00:05:00", "1.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}
