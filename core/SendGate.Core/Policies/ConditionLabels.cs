namespace SendGate.Core.Policies;

/// <summary>
/// What each condition type looks at, in words for people, in Japanese and English: the console
/// shows them beside a held mail and the hold notice mail lists them (the engine's own
/// <see cref="ConditionMatch.Detail"/> is an English sentence for the API). One table, so that
/// the page and the mail say the same.
/// </summary>
public static class ConditionLabels
{
    private static readonly Dictionary<string, (string Ja, string En)> Labels = new(StringComparer.Ordinal)
    {
        ["attachment"] = ("添付ファイル", "Attachment"),
        ["attachmentCount"] = ("添付ファイルの数", "Number of attachments"),
        ["attachmentMentionedButMissing"] = ("添付の記載があるのに添付なし", "Attachment mentioned but missing"),
        ["body"] = ("本文", "Body"),
        ["confidentialMarking"] = ("機密表示（社外秘など）", "Confidentiality marking"),
        ["creditCard"] = ("クレジットカード番号", "Credit card number"),
        ["externalRecipients"] = ("社外の宛先", "External recipients"),
        ["firstTimeRecipientAddress"] = ("よく送る会社の初めてのアドレス", "First-time address at a known company"),
        ["firstTimeRecipientDomain"] = ("初めて送信するドメイン", "First mail to this domain"),
        ["header"] = ("ヘッダー", "Header"),
        ["lookalikeDomain"] = ("よく似たドメイン", "Look-alike domain"),
        ["missingHonorific"] = ("敬称の不足", "Missing honorific"),
        ["myNumber"] = ("マイナンバー（個人番号）", "My Number (individual number)"),
        ["recipientCount"] = ("宛先の数", "Number of recipients"),
        ["recipientDomain"] = ("宛先ドメイン", "Recipient domain"),
        ["sender"] = ("差出人", "Sender"),
        ["senders"] = ("差出人", "Sender"),
        ["subject"] = ("件名", "Subject"),
        ["unusualDomainCombination"] = ("一緒に送ったことのない会社の組み合わせ", "Companies never mailed together"),
        ["wrongCompany"] = ("別の会社宛ての宛名・ファイル", "Addressed to another company"),
    };

    /// <summary>The condition type's label; the type itself for one without a label (a newer type).</summary>
    public static string Name(string type, bool english) =>
        Labels.TryGetValue(type, out var label) ? english ? label.En : label.Ja : type;

    /// <summary>A condition that held: what it looks at and what made it true (already masked; at most five items).</summary>
    public static string Describe(ConditionMatch match, bool english)
    {
        var name = Name(match.Type, english);
        if (match.Detail.StartsWith("not: ", StringComparison.Ordinal))
        {
            return english ? $"not: {name}" : $"該当しない: {name}";
        }

        return match.Evidence.Count == 0
            ? name
            : $"{name}: {string.Join(english ? ", " : "、", match.Evidence.Take(5))}{(match.Evidence.Count > 5 ? " …" : "")}";
    }

    /// <summary>A rule's conditions on one line, after its name: "：社外の宛先: …／添付ファイルの数" or ": External recipients: …; …".</summary>
    public static string AfterRuleName(IReadOnlyList<ConditionMatch> conditions, bool english) =>
        conditions.Count == 0 ? "" : (english ? ": " : "：") + string.Join(english ? "; " : "／", conditions.Select(c => Describe(c, english)));
}
