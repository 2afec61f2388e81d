using System.Text;

namespace SendGate.Core.Policies.Detectors;

/// <summary>A detected number: where it is in the scanned text (end exclusive) and how the evidence shows it.</summary>
internal readonly record struct NumberMatch(int Start, int End, string Masked);

/// <summary>
/// Masks, in text SendGate itself writes or shows (previews, notification mails, events, decisions),
/// every card number and My Number the policy detectors find, written exactly as their evidence
/// (<c>****-****-****-1111</c>). The detectors read NFKC-folded text; this folds character by
/// character and keeps where each folded character came from, so that full-width digits and
/// separators are found as the evidence finds them while the rest of the text stays as written.
/// </summary>
public static class SensitiveNumbers
{
    // Every number in a long body, not the evidence's first ten.
    private const int Unlimited = int.MaxValue;

    public static string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.AsSpan().ContainsAnyExcept(Ascii) && !text.AsSpan().ContainsAnyInRange('0', '9'))
        {
            return text;
        }

        var (folded, origin) = Fold(text);
        var matches = CreditCardDetector.Scan(folded, Unlimited);
        // A My Number inside a card number is the card (the detector already refuses grouped ones).
        matches.AddRange(MyNumberDetector.Scan(folded, Unlimited).Where(m => !matches.Any(c => m.Start < c.End && c.Start < m.End)));
        if (matches.Count == 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var at = 0;
        foreach (var match in matches.OrderBy(m => m.Start))
        {
            var start = origin[match.Start];
            var end = origin[match.End];
            if (start < at)
            {
                continue;
            }

            result.Append(text, at, start - at).Append(match.Masked);
            at = end;
        }

        return result.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>Null stays null.</summary>
    public static string? MaskOrNull(string? text) => text is null ? null : Mask(text);

    private static readonly System.Buffers.SearchValues<char> Ascii = System.Buffers.SearchValues.Create(
        Enumerable.Range(0, 128).Select(c => (char)c).Where(c => !char.IsAsciiDigit(c)).ToArray());

    /// <summary>NFKC of each character (a surrogate pair as one), and for each folded index the original index it starts at (one more entry: the end).</summary>
    private static (string Folded, int[] Origin) Fold(string text)
    {
        var folded = new StringBuilder(text.Length);
        var origin = new List<int>(text.Length + 1);
        for (var i = 0; i < text.Length;)
        {
            var width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            var piece = text.Substring(i, width);
            if (text[i] >= 128)
            {
                try
                {
                    piece = piece.Normalize(NormalizationForm.FormKC);
                }
                catch (ArgumentException)
                {
                    // A lone surrogate stays as it is, as TextNormalizer leaves it.
                }
            }

            foreach (var c in piece)
            {
                folded.Append(c);
                origin.Add(i);
            }

            i += width;
        }

        origin.Add(text.Length);
        return (folded.ToString(), origin.ToArray());
    }
}
