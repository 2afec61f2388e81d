using System.Text.RegularExpressions;

namespace SendGate.Core.Policies.Detectors;

/// <summary>Where a confidentiality marking was found and the words around it.</summary>
public sealed record ConfidentialMarking(string Where, string Marking, string Excerpt);

/// <summary>
/// Confidentiality markings (社外秘, 極秘, 部外秘, 関係者外秘, 取扱注意, 【秘】, ㊙, Confidential,
/// Internal use only) in the subject, the sender's new text and attachment names. A mail
/// signature's legal disclaimer ("This e-mail is confidential and intended solely for …", 本メール
/// は機密情報を含む…) and a quoted mail are not the sender's marking; neither is 秘密保持契約 (an
/// NDA is a contract, not a marking), nor a sentence that says such material is not being sent
/// (社外秘のためお送りできません), nor a promise to keep the other side's material confidential, nor
/// 取扱注意 on a parcel. The subject of a reply ("Re: 【社外秘】…") is the thread's and goes back to
/// those who wrote it; a forward's counts. A quoted or forwarded mail is not the sender's words, but
/// one written inside the company (its From: or "… wrote:" line has an internal address) is the
/// company's material all the same: its marking counts, as its author meant it for colleagues; so
/// does one passed on to a company other than its author's (a lawyer's "Privileged & Confidential"
/// opinion forwarded to the other side). A marking on material removed before sending (社外秘の原価欄
/// は削除したうえで) is none.
/// </summary>
public static partial class ConfidentialMarkings
{
    public static readonly IReadOnlyList<string> Default =
        ["社外秘", "極秘", "部外秘", "関係者外秘", "社内限り", "社内限定", "部内限り", "部内限定", "課内限り", "関係者限り", "人事用", "人事限り", "社内検討用", "社内用", "社内専用", "取扱注意", "取り扱い注意", "取扱い注意", "社外持出禁止", "社外持ち出し禁止", "持出禁止", "持ち出し禁止", "社外開示禁止", "社外開示不可", "外部開示禁止", "外部開示不可", "開示不可", "社外配布禁止", "社外配布不可", "社外持出不可", "転送禁止", "転送不可", "【秘】", "(秘)", "㊙", "厳秘", "confidential", "internal use only", "for internal use", "internal only", "do not distribute", "not for distribution", "not for circulation", "do not circulate"];

    /// <summary>The markings of <paramref name="subject"/>, <paramref name="newText"/> and <paramref name="attachmentNames"/>, at most one per place.</summary>
    public static IReadOnlyList<ConfidentialMarking> Find(string subject, string newText, IEnumerable<string> attachmentNames, IReadOnlyList<string>? markings = null,
        IEnumerable<(string Name, AttachmentTextResult Text)>? attachmentTexts = null, string quoted = "", Func<string, bool>? isInternalDomain = null,
        Func<string, bool>? isRecipientDomain = null)
    {
        var folded = markings is null ? DefaultFolded : markings.Select(Fold).ToArray();
        markings ??= Default;
        var found = new List<ConfidentialMarking>();
        // A reply carries the thread's subject back to those who wrote it (the customer's own 【社外秘】); a forward passes it on.
        if (!Reply().IsMatch(subject) && First(subject, markings, folded) is { } inSubject)
        {
            found.Add(new("subject", inSubject, Excerpt(subject)));
        }

        if (InSentences(newText, markings, folded) is { } inBody)
        {
            found.Add(new("body", inBody.Marking, inBody.Excerpt));
        }

        // The recipient's own document sent back to them (御社の要件定義書にコメントを追記してお返しします)
        // carries their marking, as a reply carries their subject.
        var theirs = ReturnedToOwner().IsMatch(AttachmentPromise.Fold(newText));
        foreach (var name in theirs ? [] : attachmentNames)
        {
            // Confidentiality_Agreement_v2.docx reads as words.
            if (First(name.Replace('_', ' ').Replace('-', ' '), markings, folded) is { } inName)
            {
                found.Add(new($"attachment {name}", inName, Excerpt(name)));
            }
        }

        // Inside a file: a 社外秘 footer of a document that was meant for the company only, or the
        // company's own figures (仕入単価, 粗利率) left in a sheet made for a customer.
        foreach (var (name, text) in theirs ? [] : attachmentTexts ?? [])
        {
            var where = $"text of {name}{(text.Limit is { } limit ? $" ({limit})" : "")}";
            if (InSentences(text.Text, markings, folded) is { } inFile)
            {
                found.Add(new(where, inFile.Marking, inFile.Excerpt));
            }
            else if (ReferenceEquals(markings, Default) && InternalFigures().Match(text.Text.Length > 20000 ? text.Text[..20000] : text.Text) is { Success: true } figures)
            {
                found.Add(new(where, figures.Value, Excerpt(LineAround(text.Text, figures.Index))));
            }
            else if (ReferenceEquals(markings, Default) && NegotiationPosition().Match(text.Text.Length > 20000 ? text.Text[..20000] : text.Text) is { Success: true } position)
            {
                found.Add(new(where, position.Value, Excerpt(LineAround(text.Text, position.Index))));
            }
            else if (ReferenceEquals(markings, Default) && PersonnelRecord(text.Text) is { } record)
            {
                found.Add(new(where, record.Heads, Excerpt(record.Line)));
            }
        }

        if (isInternalDomain is not null && quoted.Length > 0 && First(quoted, markings, folded) is not null)
        {
            foreach (var (author, block) in QuotedMails(quoted))
            {
                var domain = MessageFacts.DomainOf(author);
                var passedOn = isRecipientDomain is not null && domain.Length > 0 && !isRecipientDomain(domain);
                if ((isInternalDomain(domain) || passedOn) && InSentences(block, markings, folded) is { } inQuote)
                {
                    found.Add(new($"quoted mail from {author}", inQuote.Marking, inQuote.Excerpt));
                    break;
                }
            }
        }

        return found;
    }

    /// <summary>
    /// The mails quoted in <paramref name="quoted"/>, each with the address its header names as its
    /// author (From:/差出人: or "On … wrote:"); text before the first such header, and a header that
    /// names no address (how Outlook shows a colleague), have no author and are left out.
    /// </summary>
    private static IEnumerable<(string Author, string Text)> QuotedMails(string quoted)
    {
        string? author = null;
        var block = new System.Text.StringBuilder();
        foreach (var raw in quoted.Split('\n'))
        {
            var line = raw.TrimStart('>', '＞', ' ', '\t', '　').TrimEnd();
            if (MailText.IsAuthorLine(line))
            {
                if (author is not null)
                {
                    yield return (author, block.ToString());
                }

                var address = Address().Match(line);
                author = address.Success ? address.Value : null;
                block.Clear();
                continue;
            }

            block.Append(line).Append('\n');
        }

        if (author is not null)
        {
            yield return (author, block.ToString());
        }
    }

    [GeneratedRegex(@"(?<![\w.+-])(?>[\w.+-]+)@[\w-]+(\.[\w-]+)+")]
    private static partial Regex Address();

    /// <summary>
    /// The first sentence of <paramref name="text"/> that carries a marking as a marking (not a
    /// disclaimer, a refusal, a promise of confidentiality or a parcel label), with the marking.
    /// </summary>
    private static (string Marking, string Excerpt)? InSentences(string text, IReadOnlyList<string> markings, IReadOnlyList<string> folded)
    {
        // One scan of the whole text first: most mail and files carry no marking, and their sentences need no look.
        if (First(text, markings, folded) is null)
        {
            return null;
        }

        foreach (var sentence in AttachmentPromise.Sentences(AttachmentPromise.Fold(Circled(text))))
        {
            if (First(sentence, markings, folded) is { } marking && !Disclaimer().IsMatch(sentence) && !Refusal().IsMatch(sentence) && !NotAMarking().IsMatch(sentence))
            {
                return (marking, Excerpt(sentence));
            }
        }

        return null;
    }

    private static readonly string[] DefaultFolded = Default.Select(Fold).ToArray();

    /// <summary>
    /// NFKC and lower case, with ㊙ read as 【秘】 first: NFKC folds it to a bare 秘, which is in 秘書
    /// and 秘密 too.
    /// </summary>
    private static string Fold(string text) => TextNormalizer.Normalize(Circled(text));

    private static string Circled(string text) => text.Contains('㊙') ? text.Replace("㊙", "【秘】") : text;

    private static string? First(string text, IReadOnlyList<string> markings, IReadOnlyList<string> folded)
    {
        var haystack = Fold(text);
        for (var i = 0; i < markings.Count; i++)
        {
            var at = haystack.IndexOf(folded[i], StringComparison.Ordinal);
            // 秘密保持契約 (an NDA) and "confidentiality agreement" are a contract's name, not a marking.
            if (at >= 0 && !Contract().IsMatch(haystack.AsSpan(at)))
            {
                return markings[i];
            }
        }

        return null;
    }

    private static string LineAround(string text, int at)
    {
        var start = text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
        var end = text.IndexOf('\n', at);
        return text[start..(end < 0 ? text.Length : end)].Replace('\t', ' ');
    }

    /// <summary>Column heads of the company's own costs and margins: what a price list for a customer must not carry.</summary>
    [GeneratedRegex(@"(仕入単価|仕入価格|仕入値|仕入原価|原価率|粗利率|粗利益|粗利|利益率|マージン率|(?i:gross margin|cost price|purchase price|unit cost|margin %))")]
    private static partial Regex InternalFigures();

    /// <summary>
    /// The company's own negotiating position (落としどころ, 下限価格, walk-away point): a memo for the
    /// people who negotiate, never for the other side of the table.
    /// </summary>
    [GeneratedRegex(@"(交渉方針|交渉戦略|落としどころ|落とし所|譲歩案|譲歩ライン|最終譲歩|下限価格|値引き?の?上限|値引き?限度|撤退ライン|(?i:walk[- ]?away (point|price)|\bBATNA\b|negotiation strategy|fallback position|reservation price))")]
    private static partial Regex NegotiationPosition();

    /// <summary>
    /// A table of people with the columns of a personnel record (生年月日 and 面接評価, 学歴 and 給与 …
    /// two or more in one header row): what an HR list carries, never a customer's business. An
    /// address and a telephone number alone are a delivery list's and do not count.
    /// </summary>
    private static (string Heads, string Line)? PersonnelRecord(string text)
    {
        foreach (var line in (text.Length > 20000 ? text[..20000] : text).Split('\n').Take(200))
        {
            if (line.Length > 400 || !(line.Contains('\t') || line.Contains(',') || line.Contains('｜') || line.Contains('|')))
            {
                continue;
            }

            var heads = PersonnelColumn().Matches(line).Select(m => m.Value).Distinct(StringComparer.Ordinal).ToList();
            if (heads.Count >= 2)
            {
                return (string.Join("・", heads.Take(3)), line);
            }
        }

        return null;
    }

    [GeneratedRegex(@"(生年月日|年齢|性別|出身校|最終学歴|学歴|面接評価|人事評価|評価ランク|給与|月給|年収|基本給|賞与|家族構成|扶養|本籍|健康状態|病歴|既往歴|(?i:date of birth|\bDOB\b|salary|performance rating|interview score))")]
    private static partial Regex PersonnelColumn();

    private static string Excerpt(string text) => text.Length > 120 ? text[..120] + "…" : text;

    [GeneratedRegex(@"(?i)((御社|貴社|先方)(の|から|より)(お預かり|ご提供|いただいた|頂いた|頂戴した)?[^。、]{0,20}(に|へ)?[^。]{0,30}(お返し|ご返却|返却|返送|ご返送|お戻し|差し戻)(いた|致)?し|\b(returning|sending back) your (own )?(document|file|draft|specification|requirements?)\b|\byour (document|file|draft|specification) (back|returned) with (our )?(comments|notes|changes)\b)")]
    private static partial Regex ReturnedToOwner();

    [GeneratedRegex(@"^\s*(re|ｒｅ|返信)\s*[:：]", RegexOptions.IgnoreCase)]
    private static partial Regex Reply();

    // Also an NDA's defined term ("Confidential Information" means …) and its clauses.
    [GeneratedRegex(@"^(機密保持|秘密保持|confidentiality (agreement|obligations?|clauses?|undertakings?|terms)|confidential disclosure agreement|confidentiality and non|confidential information""?\s*(means|shall|includes|refers|has)|confidential information"")", RegexOptions.IgnoreCase)]
    private static partial Regex Contract();

    [GeneratedRegex(@"(?i)(intended (only|solely|exclusively) for|if you (are not|have received)|received this (e-?mail|message) in error|誤って|誤送信|お心当たりのない|宛先に誤り|破棄して|削除して(いただ|くだ|下さ)|本メール(およびその添付|及び添付|は|の内容|には)[^。]{0,30}(機密|秘密|含まれ)|privileged[^.\n]{0,40}\b(information|material|communication|intended)|\b(may|might|contains?)\b[^.\n]{0,40}privileged)")]
    private static partial Regex Disclaimer();

    // A promise to keep the other side's material confidential, 取扱注意 on a parcel, a report that such material
    // was deleted or returned, a marking that is only part of a seminar's title (「社外秘情報の取扱い」セミナー),
    // one denied or lifted ("is not confidential", 社外秘ではありません, 社外秘のお取扱いを解除), and one named
    // as a term: a contract's 「社外秘」「Confidential」その他これに類する表示, 「社外秘」としてお渡しした (in the past),
    // a question (御社の社外秘扱いでしょうか) or a scheme's levels (「公開」「社外秘」「極秘」の区分, 「社外秘」以上の文書).
    [GeneratedRegex(@"(?i)(\b(treat|treated|keep|kept|handle|handled|hold|held|remain|remains)\b.{0,40}\b(as |in )?(strictly )?confidential\b|\bconfidential to (you|your|them|their|[A-Z])|\b(understand|acknowledge|noted)\b.{0,40}\bconfidential\b|\bconfidential(ly)? (basis|manner)\b|秘密として(扱|取り扱|管理)|機密として(扱|取り扱|管理)|取扱注意[^。]{0,6}(ワレモノ|割れ物|壊れ物|こわれもの|精密機器|天地無用|シール|ラベル)|(ワレモノ|割れ物|壊れ物|精密機器)[^。]{0,10}取扱注意|(削除|破棄|廃棄|消去|返却)(いた|致)?し(ました|ております|ています)|(削除|除外|除去|マスキング|マスク|黒塗り)(いた|致)?し(た|て)(うえ|上|から|おり|あり)|(を|は)(除いて|除き|外して|抜いて)|\b(removed|redacted|stripped out|taken out)\b|「[^」]{0,40}」[^。]{0,10}(セミナー|研修|講座|講演|勉強会|ウェビナー|説明会)|\b(is|are|was|were|isn't|aren't)\s+(not\s+|no longer\s+)(\w+\s+)?confidential\b|\bnon-?confidential\b|(社外秘|極秘|部外秘|秘密|機密)(情報|資料|文書|扱い|のお?取扱い|のお?取り扱い)?(では|でも)(ありません|ございません|ない)|(社外秘|極秘|部外秘|取扱注意|機密)[」』]?(の|としての|扱い|指定)?[^。]{0,8}(解除|取り消|取消|外させ|外し|外れ)|「[^」]{1,20}」(「[^」]{1,30}」)*(その他|等|など|という|との|と)[^。]{0,15}(表示|記載|表記|押印|印字|明示)|「[^」]{1,20}」として[^。]{0,10}(お渡し|ご提供|提供|開示|お送り|送付)(した|しました|いたしました|済)|(社外秘|極秘|部外秘|機密)(の|に)?(お?取り?扱い|扱い)?(かどうか|でしょうか|ですか|に該当|に当た|にあた)|「公開」[「」、・\s]*「(社外秘|部外秘|極秘)」|公開[・、/／](社外秘|部外秘|極秘)|「(社外秘|部外秘|極秘)」(以上|以下|の区分|区分|レベル))")]
    private static partial Regex NotAMarking();

    // However it is worded: お出しすることができません, ご提供いたしかねます, 開示は控えさせていただきます.
    [GeneratedRegex(@"((お送り|送付|ご送付|お渡し|開示|ご開示|共有|お出し|提供|ご提供|お見せ|公開|お伝え|ご案内)(する|いたす|致す)?(こと)?(が|は)?(でき(ません|かねます|ない)|出来(ません|かねます|ない)|(いた|致)?しかねます|控え)|cannot (be )?(share|send|disclose|provide)|can't (share|send|disclose|provide)|unable to (share|send|disclose|provide))", RegexOptions.IgnoreCase)]
    private static partial Regex Refusal();
}
