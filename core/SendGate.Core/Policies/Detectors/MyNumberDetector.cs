using System.Text.RegularExpressions;

namespace SendGate.Core.Policies.Detectors;

/// <summary>
/// Finds Japanese Individual Numbers (マイナンバー) whose check digit is right and reports them masked.
/// One twelve-digit number in eleven passes the check digit by chance, so a number its line labels
/// as something else — 送り状番号, 注文番号, TEL, an invoice or a lot — is that, unless the line also
/// says マイナンバー or 個人番号. (The detector guards against mistakes: a label is what a sender who
/// pastes the wrong number does not write.)
/// </summary>
public static partial class MyNumberDetector
{
    private const int Length = 12;

    /// <summary>
    /// Returns up to <paramref name="max"/> masked numbers (<c>****-****-1234</c>) from NFKC-normalised text:
    /// twelve contiguous digits, or 4-4-4 joined by one kind of single separator (space or hyphen).
    /// </summary>
    public static IReadOnlyList<string> Find(string text, int max = 10)
    {
        ArgumentNullException.ThrowIfNull(text);
        return max <= 0 ? [] : Scan(text, max).Select(m => m.Masked).ToList();
    }

    /// <summary>Where each My Number is in <paramref name="text"/> and its mask, for <see cref="SensitiveNumbers.Mask"/>.</summary>
    internal static List<NumberMatch> Scan(string text, int max)
    {
        var found = new List<NumberMatch>();
        var span = text.AsSpan();
        Span<char> digits = stackalloc char[Length];
        var pos = 0;
        while (pos < span.Length)
        {
            var next = span[pos..].IndexOfAnyInRange('0', '9');
            if (next < 0)
            {
                break;
            }
            var start = pos + next;
            var runEnd = DigitRuns.RunEnd(span, start);
            var end = NumberAt(span, start, runEnd, digits);
            if (end > 0 && IsValid(digits) && !LabelledOtherwise(span, start))
            {
                found.Add(new NumberMatch(start, end, DigitRuns.Mask(digits, groupsOfFour: true)));
                if (found.Count == max)
                {
                    break;
                }
                pos = end;
            }
            else
            {
                pos = runEnd;
            }
        }
        return found;
    }

    public static bool IsValid(ReadOnlySpan<char> twelveDigits)
    {
        if (twelveDigits.Length != Length || twelveDigits.ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }
        // P_n is the n-th of the first eleven digits counted from the right; Q_n = n + 1 for n ≤ 6, n − 5 above.
        var sum = 0;
        for (var n = 1; n <= 11; n++)
        {
            var p = twelveDigits[11 - n] - '0';
            var q = n <= 6 ? n + 1 : n - 5;
            sum += p * q;
        }
        var r = sum % 11;
        var check = r <= 1 ? 0 : 11 - r;
        return twelveDigits[11] - '0' == check;
    }

    /// <summary>Copies a candidate into <paramref name="digits"/> and returns where it ends, or 0 when the shape is wrong.</summary>
    private static int NumberAt(ReadOnlySpan<char> text, int start, int runEnd, Span<char> digits)
    {
        if (runEnd - start == Length)
        {
            text[start..runEnd].CopyTo(digits);
            return runEnd;
        }
        if (runEnd - start != 4)
        {
            return 0;
        }
        // A grouped number must stand alone: "1234 5678 9012" inside "4111 1111 1111 1111" is a card, not a My Number.
        if (start >= 2 && text[start - 1] is ' ' or '-' && DigitRuns.IsDigit(text[start - 2]))
        {
            return 0;
        }
        if (!DigitRuns.IsGroupSeparator(text, runEnd))
        {
            return 0;
        }
        var separator = text[runEnd];
        var pos = start;
        for (var group = 0; group < 3; group++)
        {
            if (group > 0)
            {
                if (pos >= text.Length || text[pos] != separator)
                {
                    return 0;
                }
                pos++;
            }
            var groupEnd = DigitRuns.RunEnd(text, pos);
            if (groupEnd - pos != 4)
            {
                return 0;
            }
            text[pos..groupEnd].CopyTo(digits[(group * 4)..]);
            pos = groupEnd;
        }
        return DigitRuns.IsGroupSeparator(text, pos) ? 0 : pos;
    }

    /// <summary>Whether the line before <paramref name="start"/> names the number as something other than a My Number.</summary>
    private static bool LabelledOtherwise(ReadOnlySpan<char> text, int start)
    {
        var lineStart = text[..start].LastIndexOf('\n') + 1;
        var lineEnd = text[start..].IndexOf('\n');
        var line = text[lineStart..(lineEnd < 0 ? text.Length : start + lineEnd)].ToString();
        var before = line[..(start - lineStart)];
        return OtherLabel().IsMatch(before.Length > 24 ? before[^24..] : before) && !MyNumberLabel().IsMatch(line);
    }

    [GeneratedRegex(@"(送り状|伝票|追跡|問い?合わ?せ番号|注文|受注|発注|請求書?番号|口座|会員|顧客|お客様番号|管理番号|製造番号|シリアル|ロット|型番|品番|登録番号|契約番号|証券番号|予約番号|受付番号|電話|携帯|tel|fax|tracking|order|invoice|account|serial|lot\b|ref\b|reference|booking|phone)")]
    private static partial Regex OtherLabel();

    [GeneratedRegex(@"(マイナンバー|個人番号|my ?number|individual number)")]
    private static partial Regex MyNumberLabel();
}
