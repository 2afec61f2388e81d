using System.ComponentModel.DataAnnotations;

namespace SendGate.Core.Links;

public sealed class LinkOptions
{
    public const string Section = "SendGate:Links";

    /// <summary>The download store: one folder per tenant holding the files of its live links (not the archive).</summary>
    [Required]
    public string StoreFolder { get; set; } = "data/downloads";
}
