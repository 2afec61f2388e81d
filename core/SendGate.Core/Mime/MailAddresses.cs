namespace SendGate.Core.Mime;

public static class MailAddresses
{
    /// <summary>
    /// Whether <paramref name="address"/> is one bare mail address (<c>local@domain</c>: no display
    /// name, no group, no angle brackets, at most 254 characters as RFC 5321 allows in a path):
    /// what a person is known by on the console and what an SMTP envelope carries.
    /// </summary>
    public static bool IsBare(string? address) =>
        address is { Length: > 2 and <= 254 } && address.Contains('@', StringComparison.Ordinal)
        && MimeKit.MailboxAddress.TryParse(address, out var mailbox) && mailbox.Address == address;

    /// <summary>
    /// The envelope sender for MailKit: a stored address, or the null reverse path (<c>MAIL
    /// FROM:&lt;&gt;</c>) of a delivery report or an auto-reply, stored as "".
    /// </summary>
    public static MimeKit.MailboxAddress ReversePath(string envelopeFrom) =>
        envelopeFrom.Length == 0 ? new MimeKit.MailboxAddress("", "") : MimeKit.MailboxAddress.Parse(envelopeFrom);
}
