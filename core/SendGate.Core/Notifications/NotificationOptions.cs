using System.ComponentModel.DataAnnotations;

namespace SendGate.Core.Notifications;

public sealed class NotificationOptions
{
    public const string Section = "SendGate:Notifications";

    /// <summary>Sender of the mails SendGate writes itself (approval requests, outcomes to senders).</summary>
    [Required]
    public string From { get; set; } = "SendGate <sendgate@localhost>";

    /// <summary>Where approvers' browsers reach this API: the base of the signed links in approval mails.</summary>
    [Required]
    public string PublicBaseUrl { get; set; } = "http://localhost:5080";
}
