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

    /// <summary>
    /// The length of the separator at <paramref name="at"/> that joins a card's group to the next one, 0 when
    /// none: a single space or hyphen, or a line break where the mail was wrapped ("4902-5738-1146-⏎2081",
    /// "4902 5738⏎1146 2081") with the next line's indent. <paramref name="kind"/> is the separator
    /// character, '\n' for a bare line break.
    /// </summary>
    public static int GroupSeparatorLength(ReadOnlySpan<char> text, int at, out char kind)
    {
        kind = '\0';
        if (at >= text.Length)
        {
            return 0;
        }

        var pos = at;
        if (text[pos] is ' ' or '-')
        {
            kind = text[pos];
            pos++;
            if (pos < text.Length && IsDigit(text[pos]))
            {
                return 1;
            }
        }

        // A wrapped line: the break, then the next line's indent, then the digits.
        if (pos < text.Length && text[pos] == '\r')
        {
            pos++;
        }
        if (pos >= text.Length || text[pos] != '\n')
        {
            return 0;
        }
        pos++;
        while (pos < text.Length && text[pos] is ' ' or '\t')
        {
            pos++;
        }
        if (pos < text.Length && IsDigit(text[pos]))
        {
            kind = kind == '\0' ? '\n' : kind;
            return pos - at;
        }
        return 0;
    }

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
