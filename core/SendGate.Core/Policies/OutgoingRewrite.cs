using MimeKit;

namespace SendGate.Core.Policies;

/// <summary>
/// The header changes a decision makes to the mail that goes out. The stored original is never
/// touched: each attempt derives the same outgoing message from it, and the envelope (who
/// actually receives the mail) stays exactly as submitted.
/// </summary>
public static class OutgoingRewrite
{
    public static void Apply(MimeMessage message, PolicyDecision decision)
    {
        if (decision.Bcc is { } bcc)
        {
            ConvertToBcc(message, bcc);
        }

        foreach (var header in decision.Headers)
        {
            message.Headers.Add(header.Name, header.Value);
        }
    }

    private static void ConvertToBcc(MimeMessage message, BccDecision bcc)
    {
        var moved = new HashSet<string>(bcc.Addresses, StringComparer.OrdinalIgnoreCase);
        Remove(message.To, moved);
        Remove(message.Cc, moved);
        if (message.Cc.Count == 0)
        {
            message.Headers.RemoveAll(HeaderId.Cc);
        }

        if (message.To.Count == 0)
        {
            if (bcc.ReplaceTo == "sender")
            {
                message.To.AddRange(message.From.Mailboxes.Take(1));
            }
            else
            {
                // RFC 5322 §3.4: an empty group is how a message says its recipients are not shown.
                message.To.Add(new GroupAddress("undisclosed-recipients"));
            }
        }
    }

    private static void Remove(InternetAddressList list, HashSet<string> addresses)
    {
        foreach (var address in list.ToList())
        {
            switch (address)
            {
                case MailboxAddress mailbox when addresses.Contains(mailbox.Address):
                    list.Remove(address);
                    break;
                case GroupAddress group:
                    Remove(group.Members, addresses);
                    if (group.Members.Count == 0)
                    {
                        list.Remove(address);
                    }

                    break;
            }
        }
    }
}
