using System.Text;

namespace SendGate.Core.Policies.Detectors;

/// <summary>Folds text so that detectors see one spelling: NFKC (full-width and half-width forms) then lower case.</summary>
public static class TextNormalizer
{
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan();
        if (Ascii.IsValid(span))
        {
            // Most bodies and all plain domains are ASCII; NFKC cannot change them, and already
            // lower-case text is returned as is to spare an allocation per message.
            return span.ContainsAnyInRange('A', 'Z') ? text.ToLowerInvariant() : text;
        }

        string folded;
        try
        {
            folded = text.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            // A lone surrogate from a broken decoder must not make the checks throw;
            // lower-casing alone still lets the ASCII-based detectors run.
            folded = text;
        }
        return folded.ToLowerInvariant();
    }
}
