using MimeKit;
using SendGate.Core.Policies;

namespace SendGate.Core.Approvals;

/// <summary>
/// The start of what the recipients of a message will read — the text part, or the HTML part as
/// text — so that an approver judges the content, not only the envelope.
/// </summary>
public static class BodyPreview
{
    /// <summary>At most <paramref name="length"/> characters (cut ones end with "…"), LF line breaks; null without any text.</summary>
    public static string? Of(MimeMessage message, int length)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 2);
        // Masked before it is cut, so that a number cut in half is still found whole.
        var text = SendGate.Core.Policies.Detectors.SensitiveNumbers.Mask(MessageFacts.BodyTextOf(message)).Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (text.Length == 0)
        {
            return null;
        }

        if (text.Length <= length)
        {
            return text;
        }

        // Never cut a surrogate pair (an emoji, a rare kanji) in half.
        var cut = char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;
        return string.Concat(text.AsSpan(0, cut), "…");
    }
}
