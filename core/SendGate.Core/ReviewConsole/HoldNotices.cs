using SendGate.Core.Messages;
using SendGate.Core.Notifications;
using SendGate.Core.Policies;

namespace SendGate.Core.ReviewConsole;

/// <summary>
/// Whether a submission tells its sender that it waits: when the rule that holds it (or sends it
/// for approval) asks for the notice. It goes to the person in From, or the envelope sender, and
/// only to an internal address — never to someone outside who merely put a company address nowhere.
/// </summary>
public static class HoldNotices
{
    public static NewNotification? For(string tenantId, string messageId, PolicyDecision decision, string envelopeFrom, string headerFrom, TenantSettings settings)
    {
        var wanted = decision.Status switch
        {
            MessageStatus.Held => decision.Hold?.Notice == true,
            MessageStatus.AwaitingApproval => decision.Approval?.Notice == true,
            _ => false,
        };
        // Mail with a null reverse path (a delivery report, an auto-reply) gets no notice: nothing automatic goes back to it.
        if (!wanted || envelopeFrom.Length == 0)
        {
            return null;
        }

        var from = MimeKit.InternetAddressList.TryParse(headerFrom, out var list) ? list.Mailboxes.FirstOrDefault()?.Address : null;
        var to = new[] { from, envelopeFrom }.FirstOrDefault(a => a is { Length: > 0 } && DomainMatch.Covers(settings.InternalDomains, MessageFacts.DomainOf(a)));
        return to is null ? null : new NewNotification(tenantId, messageId, null, NotificationKind.HoldNotice, to.Trim().ToLowerInvariant());
    }
}
