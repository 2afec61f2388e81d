using System.Text.RegularExpressions;

namespace SendGate.Core.Policies.Detectors;

/// <summary>
/// A body split the way a reader sees it: what the sender wrote now, their signature, and the
/// earlier mail they replied to or forwarded. Checks about what the sender says (an attachment
/// promised, the salutation, a marking) read <see cref="NewText"/>, so words in a quoted reply or a
/// signature's disclaimer do not count as the sender's.
/// </summary>
public sealed partial record MailText(string NewText, string Signature, string Quoted)
{
    public static readonly MailText Empty = new("", "", "");

    /// <summary>How far from the end of the new text a signature is looked for (lines).</summary>
    private const int SignatureWindow = 15;

    public static MailText Split(string body)
    {
        if (string.IsNullOrEmpty(body))
        {
            return Empty;
        }

        var lines = body.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        var quotedAt = lines.Length;
        for (var i = 0; i < lines.Length; i++)
        {
            if (StartsQuotedMail(lines, i))
            {
                quotedAt = i;
                break;
            }
        }

        // Inline replies keep the answers between the quoted lines; the quoted lines themselves are not the sender's.
        var own = new List<string>(quotedAt);
        var quoted = new List<string>();
        for (var i = 0; i < quotedAt; i++)
        {
            (IsQuoteLine(lines[i]) ? quoted : own).Add(lines[i]);
        }

        quoted.AddRange(lines.Skip(quotedAt));
        var signatureAt = SignatureStart(own);
        return new MailText(
            string.Join('\n', own.Take(signatureAt)).Trim('\n'),
            string.Join('\n', own.Skip(signatureAt)).Trim('\n'),
            string.Join('\n', quoted).Trim('\n'));
    }

    /// <summary>A line that opens a quoted mail and names its author: From:/差出人:, or "On … wrote:" and its Japanese form.</summary>
    internal static bool IsAuthorLine(string line) => HeaderFrom().IsMatch(line) || WroteLine().IsMatch(line);

    private static bool IsQuoteLine(string line) => line.TrimStart(' ', '\t', '　').StartsWith('>') || line.TrimStart().StartsWith('＞');

    /// <summary>
    /// The header an agent puts above the mail it quotes or forwards: Outlook's "-----Original
    /// Message-----" or its line of underscores followed by From/差出人, Gmail's "On … wrote:" and
    /// its Japanese form, Thunderbird's and Gmail's forwarding banners.
    /// </summary>
    private static bool StartsQuotedMail(string[] lines, int i)
    {
        var line = lines[i].Trim();
        if (line.Length == 0)
        {
            return false;
        }

        if (Banner().IsMatch(line) || WroteLine().IsMatch(line))
        {
            return true;
        }

        // A header block: From:/差出人: with Sent:/Date:/送信日時:/日時: within the next three lines.
        if (HeaderFrom().IsMatch(line) || (line.Length >= 10 && line.All(c => c == '_')))
        {
            for (var j = i + 1; j < Math.Min(lines.Length, i + 5); j++)
            {
                if (HeaderDate().IsMatch(lines[j].Trim()))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Where the signature starts: the "-- " separator (RFC 3676), or, within the last lines, the
    /// first rule line (━━━, ----, ＝＝＝) after which the lines carry contact details.
    /// </summary>
    private static int SignatureStart(List<string> own)
    {
        var end = own.Count;
        while (end > 0 && own[end - 1].Trim().Length == 0)
        {
            end--;
        }

        for (var i = 0; i < end; i++)
        {
            if (own[i] is "-- " or "--" or "—")
            {
                return i;
            }
        }

        for (var i = Math.Max(0, end - SignatureWindow); i < end; i++)
        {
            // A rule inside the text (under a table, above a total) has sentences below it before any contact line.
            if (IsRule(own[i]) && own.Skip(i + 1).Take(end - i - 1).Any(l => ContactDetail().IsMatch(l))
                && !own.Skip(i + 1).Take(end - i - 1).TakeWhile(l => !ContactDetail().IsMatch(l)).Any(IsSentence))
            {
                return i;
            }
        }

        // No separator: a block of contact lines at the very end (company, name, TEL, mail) is the signature.
        var start = end;
        for (var i = end - 1; i >= Math.Max(0, end - 6); i--)
        {
            if (ContactDetail().IsMatch(own[i]) || CompanyLine().IsMatch(own[i].Trim()))
            {
                start = i;
            }
            else if (start < end && own[i].Trim().Length > 0 && own[i].Trim().Length <= 20 && i >= start - 2)
            {
                // The name line above the contact lines.
                start = i;
            }
            else
            {
                break;
            }
        }

        return start < end && own.Skip(start).Take(end - start).Any(l => ContactDetail().IsMatch(l)) ? start : end;
    }

    private static bool IsSentence(string line)
    {
        var text = line.Trim();
        return text.EndsWith('。') || text.Length > 40;
    }

    private static bool IsRule(string line)
    {
        var text = line.Trim();
        return text.Length >= 8 && text.All(c => c is '━' or '─' or '-' or '=' or '＝' or '*' or '＊' or '_' or '~' or '〜' or '・' or '■' or '□' or '◆' or '+');
    }

    [GeneratedRegex(@"^[-=_\s]*(original message|forwarded message|begin forwarded message|元のメッセージ|転送メッセージ|転送されたメッセージ|オリジナルメッセージ)[-=_:\s]*$", RegexOptions.IgnoreCase)]
    private static partial Regex Banner();

    [GeneratedRegex(@"^(On .{4,200} wrote:|.{0,80}\d{4}年\d{1,2}月\d{1,2}日.{0,120}(<[^>]+@[^>]+>|[\w.+-]+@[\w.-]+).{0,40}(:|：|書きました.?))$")]
    private static partial Regex WroteLine();

    [GeneratedRegex(@"^(\*?From\*?|差出人|送信者|送信元)\s*[:：]", RegexOptions.IgnoreCase)]
    private static partial Regex HeaderFrom();

    [GeneratedRegex(@"^(\*?(Sent|Date)\*?|送信日時|日時|送信日)\s*[:：]", RegexOptions.IgnoreCase)]
    private static partial Regex HeaderDate();

    // An address is tried only where a run of its characters starts, and taken whole (atomic): tried
    // at every position of a long unbroken word, it cost time in the square of the line's length.
    [GeneratedRegex(@"(TEL|Tel|tel|電話|FAX|Fax|E-?mail|e-?mail|Mail\s*[:：]|〒|https?://|(?<![\w.+-])(?>[\w.+-]+)@[\w-]+\.[\w.-]+|携帯)")]
    private static partial Regex ContactDetail();

    [GeneratedRegex(@"(株式会社|有限会社|合同会社|\(株\)|（株）|Co\.,?\s*Ltd|Inc\.|Corporation|Ltd\.)")]
    private static partial Regex CompanyLine();
}
