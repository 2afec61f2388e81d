namespace SendGate.Core.Policies.Detectors;

/// <summary>Scanning helpers shared by the number detectors; input is already NFKC-normalised, so only ASCII digits matter.</summary>
internal static class DigitRuns
{
    public static bool IsDigit(char c) => char.IsAsciiDigit(c);

    /// <summary>Index just past the run of digits that starts at <paramref name="start"/>.</summary>
    public static int RunEnd(ReadOnlySpan<char> text, int start)
    {
        // Runs are mostly a few digits long, where a plain loop beats a vectorised search's set-up.
        var end = start;
        while (end < text.Length && IsDigit(text[end]))
        {
            end++;
        }
        return end;
    }

    /// <summary>True when a single space or hyphen at <paramref name="at"/> joins the group before it to a digit after it.</summary>
    public static bool IsGroupSeparator(ReadOnlySpan<char> text, int at) =>
        at + 1 < text.Length && text[at] is ' ' or '-' && IsDigit(text[at + 1]);

    /// <summary>Masks all but the last four digits, putting a hyphen before them.</summary>
    public static string Mask(ReadOnlySpan<char> digits, bool groupsOfFour)
    {
        var hidden = digits.Length - 4;
        var length = groupsOfFour ? digits.Length + digits.Length / 4 - 1 : digits.Length + 1;
        Span<char> buffer = stackalloc char[length];
        var pos = 0;
        for (var i = 0; i < hidden; i++)
        {
            if (groupsOfFour && i > 0 && i % 4 == 0)
            {
                buffer[pos++] = '-';
            }
            buffer[pos++] = '*';
        }
        buffer[pos++] = '-';
        digits[hidden..].CopyTo(buffer[pos..]);
        return new string(buffer);
    }
}
