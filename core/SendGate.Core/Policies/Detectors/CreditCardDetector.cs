namespace SendGate.Core.Policies.Detectors;

/// <summary>
/// Finds Luhn-valid payment card numbers of a prefix and length a card network issues, and reports
/// them masked; runs on every body, so it is a single forward scan.
/// </summary>
public static class CreditCardDetector
{
    private const int MinDigits = 13;
    private const int MaxDigits = 19;

    /// <summary>
    /// Returns up to <paramref name="max"/> masked card numbers (last four digits only) from NFKC-normalised text.
    /// A number is 13–19 digits, contiguous or in groups joined by one kind of single separator (space or hyphen),
    /// with no digit directly before or after it; a group may end its line where the mail was wrapped.
    /// </summary>
    public static IReadOnlyList<string> Find(string text, int max = 10)
    {
        ArgumentNullException.ThrowIfNull(text);
        return max <= 0 ? [] : Scan(text, max).Select(m => m.Masked).ToList();
    }

    /// <summary>Where each card number is in <paramref name="text"/> and its mask, for <see cref="SensitiveNumbers.Mask"/>.</summary>
    internal static List<NumberMatch> Scan(string text, int max)
    {
        var found = new List<NumberMatch>();
        var span = text.AsSpan();
        Span<char> digits = stackalloc char[MaxDigits];
        var pos = 0;
        while (pos < span.Length)
        {
            var next = span[pos..].IndexOfAnyInRange('0', '9');
            if (next < 0)
            {
                break;
            }
            // pos never sits on a digit here (it is 0 or the end of a run), so start begins a run.
            var start = pos + next;
            var runEnd = DigitRuns.RunEnd(span, start);
            var length = runEnd - start;
            // Cheap rejection of the many short numbers in ordinary mail (dates, prices, phone numbers).
            var mayStart = length is >= MinDigits and <= MaxDigits
                || (IsCardGroup(length) && DigitRuns.GroupSeparatorLength(span, runEnd, out _) > 0);
            var (end, count) = mayStart ? LongestCardAt(span, start, runEnd, digits) : (runEnd, 0);
            if (count > 0)
            {
                found.Add(new NumberMatch(start, end, DigitRuns.Mask(digits[..count], groupsOfFour: count == 16)));
                if (found.Count == max)
                {
                    break;
                }
            }
            pos = end;
        }
        return found;
    }

    public static bool IsLuhnValid(ReadOnlySpan<char> digits)
    {
        if (digits.IsEmpty || digits.ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[i] - '0';
            // Counting from the right, every second digit is doubled.
            sum += (digits.Length - i) % 2 == 0 ? Doubled(d) : d;
        }
        return sum % 10 == 0;
    }

    /// <summary>
    /// Whether a card network issues numbers of this prefix and length (ISO/IEC 7812 IIN ranges):
    /// one Luhn-valid number in ten passes by chance, and a 15-digit IMEI starting 35 is no card
    /// (15 digits are American Express only, 34 or 37).
    /// </summary>
    internal static bool IsIssued(ReadOnlySpan<char> digits)
    {
        var length = digits.Length;
        if (length < 4)
        {
            return false;
        }

        var p1 = digits[0] - '0';
        var p2 = (p1 * 10) + (digits[1] - '0');
        var p3 = (p2 * 10) + (digits[2] - '0');
        var p4 = (p3 * 10) + (digits[3] - '0');
        return (p1 == 4 && length is 13 or 16 or 19)                                         // Visa
            || ((p2 is >= 51 and <= 55 || p4 is >= 2221 and <= 2720) && length == 16)        // Mastercard
            || (p2 is 34 or 37 && length == 15)                                               // American Express
            || (p4 is >= 3528 and <= 3589 && length is >= 16 and <= 19)                       // JCB
            || ((p2 is 36 or 38 or 39 || p3 is >= 300 and <= 305) && length is >= 14 and <= 19) // Diners Club
            || ((p4 == 6011 || p2 == 65 || p3 is >= 644 and <= 649) && length is >= 16 and <= 19) // Discover
            || (p2 == 62 && length is >= 16 and <= 19)                                        // UnionPay
            || (p4 is >= 2200 and <= 2204 && length is >= 16 and <= 19)                       // Mir
            || ((p2 is 50 or (>= 56 and <= 69)) && length is >= 13 and <= 19);                // Maestro and other debit
    }

    private static int Doubled(int digit) => digit < 5 ? digit * 2 : (digit * 2) - 9;

    private static bool IsCardGroup(int length) => length is >= 3 and <= 6;

    /// <summary>
    /// Tries the groups that follow <paramref name="start"/> and keeps the longest Luhn-valid prefix, so that
    /// "4111 1111 1111 1111 100 items" still reports the card. Several groups count only when each has 3–6
    /// digits, as printed cards do (4-4-4-4, 4-6-5, 4-4-4-4-3); that keeps dates and phone numbers out.
    /// </summary>
    private static (int End, int Count) LongestCardAt(ReadOnlySpan<char> text, int start, int firstRunEnd, Span<char> digits)
    {
        // Which digits Luhn doubles depends on the final length, so keep both sums and pick at the end:
        // evenSum doubles the 1st, 3rd ... digit from the left (right for an even count), oddSum the others.
        var evenSum = 0;
        var oddSum = 0;
        var pos = start;
        var groupEnd = firstRunEnd;
        var count = 0;
        var groups = 0;
        var separator = '\0';
        (int End, int Count) best = (firstRunEnd, 0);
        while (true)
        {
            var groupLength = groupEnd - pos;
            if (count + groupLength > MaxDigits)
            {
                break;
            }
            for (var i = pos; i < groupEnd; i++)
            {
                var d = text[i] - '0';
                digits[count] = text[i];
                if (count % 2 == 0)
                {
                    evenSum += Doubled(d);
                    oddSum += d;
                }
                else
                {
                    evenSum += d;
                    oddSum += Doubled(d);
                }
                count++;
            }
            groups++;
            var cardShapedGroup = IsCardGroup(groupLength);
            if (count >= MinDigits && (groups == 1 || cardShapedGroup) && (count % 2 == 0 ? evenSum : oddSum) % 10 == 0 && IsIssued(digits[..count]))
            {
                best = (groupEnd, count);
            }
            var kind = '\0';
            var separatorLength = cardShapedGroup ? DigitRuns.GroupSeparatorLength(text, groupEnd, out kind) : 0;
            if (kind == '\n')
            {
                // A bare line break joins groups only in a wrapped sentence ("card 4902 5738⏎1146 2081"),
                // not a column of numbers one per line.
                separatorLength = start > 0 && text[start - 1] != '\n' ? separatorLength : 0;
                kind = ' ';
            }
            if (separatorLength == 0 || (separator != '\0' && kind != separator))
            {
                break;
            }
            separator = kind;
            pos = groupEnd + separatorLength;
            groupEnd = DigitRuns.RunEnd(text, pos);
        }
        // Later groups only append, so the buffer still starts with the best number.
        return best;
    }
}
