using System.Text.RegularExpressions;

namespace SendGate.Core.Policies.Detectors;

/// <summary>A company a document or subject is addressed to; <paramref name="Certain"/> when its name has a legal form (not only an honorific).</summary>
public sealed record AddressedCompany(string Key, bool Certain);

/// <summary>One thing wrong with the addressee block, in plain words, with the line it is on.</summary>
public sealed record SalutationProblem(string Kind, string Reason, string Line)
{
    public const string MissingHonorific = "missing-honorific";
    public const string MissingOnchu = "missing-onchu";
    public const string DoubleHonorific = "double-honorific";
    public const string CasualHonorific = "casual-honorific";
    public const string WrongTitle = "wrong-title";
    public const string Placeholder = "placeholder";
}

/// <summary>
/// Reads the addressee block (宛名) at the top of a Japanese business mail — 株式会社〇〇 / 〇〇部 /
/// 〇〇 様 — and checks it the way a careful colleague would: a company or department with nobody
/// named after it needs 御中; a person needs 様 or 殿 (a title such as 部長 addresses them too); 御中
/// and 様 on one addressee is a double honorific; さん / くん / 君 / ちゃん is for colleagues, not for
/// another company. Group addresses (各位, 皆様, ご担当者様) are fine; English salutations follow
/// no such convention and are not checked; nor is a line about the sender's own side (弊社, CC).
/// </summary>
public static partial class Salutation
{
    private static readonly string[] PersonHonorifics = ["様", "さま", "サマ", "殿", "先生"];

    private static readonly string[] CasualHonorifics = ["さん", "くん", "君", "ちゃん"];

    // A title after the name addresses the person (田中部長); before the name it is part of the address (部長 田中様).
    private static readonly string[] Titles =
    [
        "会長", "社長", "副社長", "専務", "常務", "取締役", "部長", "次長", "課長", "係長", "主任", "室長", "所長", "支店長", "工場長",
        "教授", "院長", "理事長", "代表", "センター長", "グループ長", "マネージャー", "リーダー",
    ];

    private static readonly string[] OrganisationWords =
        ["株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "(株)", "(有)", "法人", "協会", "組合", "大学", "研究所", "病院", "銀行", "事務所", "省", "庁", "役所", "役場"];

    private static readonly string[] DepartmentEndings =
        ["部", "課", "室", "係", "グループ", "チーム", "センター", "支店", "支社", "営業所", "本部", "事業部", "工場", "本社", "社"];

    /// <summary>
    /// The problems of the addressee block in the first <paramref name="maxLines"/> lines of
    /// <paramref name="newText"/>; <paramref name="external"/> says whether the mail leaves the
    /// company (only then is さん wrong).
    /// </summary>
    public static IReadOnlyList<SalutationProblem> Check(string newText, bool external, int maxLines = 5)
    {
        // A template's blank left in (●● ●● 様, 〇〇様, "Dear [First name],"): the mail names nobody.
        var top = newText.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Take(maxLines).ToList();
        foreach (var line in top)
        {
            var folded = AttachmentPromise.Fold(line);
            if (PlaceholderName().IsMatch(folded))
            {
                return [new(SalutationProblem.Placeholder, "宛名がひな形の伏せ字のままです (●●, 〇〇, [Name]): 相手の名前を入れましょう (the salutation still has the template's placeholder)", line)];
            }

            if (Greeting().IsMatch(folded))
            {
                break;
            }
        }

        var block = AddresseeBlock(newText, maxLines);
        if (block.Count == 0)
        {
            return [];
        }

        // "森様、池田さん": each addressee of a line is judged on its own.
        var kinds = block.SelectMany(Addressees).Select(l => (Line: l, Kind: Classify(l))).ToList();
        var problems = new List<SalutationProblem>();
        foreach (var (line, _) in kinds.Where(k => k.Kind == Kind.Group && k.Line.Compact.Contains("各位", StringComparison.Ordinal)
                     && (EndsWithAny(k.Line.Compact, PersonHonorifics) || DoubleGroup().IsMatch(k.Line.Compact))))
        {
            problems.Add(new(SalutationProblem.DoubleHonorific, "各位に様・皆様を重ねています。各位だけで敬称です (各位 is an honorific already)", line.Original));
        }

        // "清水 隆 各位": 各位 addresses a group (関係者各位, 営業部 各位), never one person.
        foreach (var (line, _) in kinds.Where(k => k.Kind == Kind.Group && PersonBeforeKakui(k.Line)))
        {
            problems.Add(new(SalutationProblem.MissingHonorific, "個人の名前に各位を付けています。各位は複数の方への敬称、個人には様です (各位 is for a group, 様 for a person)", line.Original));
        }

        foreach (var (line, _) in kinds.Where(k => k.Kind == Kind.Onchu && PersonBeforeOnchu(k.Line)))
        {
            problems.Add(new(SalutationProblem.DoubleHonorific, "個人の名前に御中を付けています。御中は会社・部署宛、個人には様です (御中 is for an organisation, 様 for a person)", line.Original));
        }

        // 御中 above a person (株式会社X 御中 / 田中様) honours one addressee twice; a department 御中 after a
        // person (購買部 木村様 / 経理部 御中) is a second addressee.
        // 井上課長様, 加藤様様: an honorific on top of a title or of itself.
        foreach (var (line, _) in kinds.Where(k => k.Kind == Kind.Person && TitleAndHonorific().IsMatch(k.Line.Compact)))
        {
            problems.Add(new(SalutationProblem.DoubleHonorific, "役職名や様に様を重ねています (課長様, 様様)。役職名だけ、または「課長 井上様」と書きます (double honorific: a title or 様 followed by 様)", line.Original));
        }

        var onchuAt = kinds.FindIndex(k => k.Kind == Kind.Onchu);
        var honoured = onchuAt < 0 ? null : kinds.Skip(onchuAt + 1).FirstOrDefault(k => k.Kind == Kind.Person).Line;
        if (honoured is not null)
        {
            problems.Add(new(SalutationProblem.DoubleHonorific, "御中と様を同じ宛名に重ねています (double honorific: 御中 and 様 for one addressee)", honoured.Original));
        }

        if (!external)
        {
            // Colleagues are addressed as colleagues: さん, a title, or just the name.
            return problems;
        }

        // "（cc: 山本さん、林さん）": the people in copy are the customer's too (a cc line of one's own colleagues is not read).
        if (top.TakeWhile(l => !Greeting().IsMatch(AttachmentPromise.Fold(l))).FirstOrDefault(l => CcLine().IsMatch(AttachmentPromise.Fold(l))) is { } cc
            && !OwnSideWord().IsMatch(cc) && CasualInCc().IsMatch(AttachmentPromise.Fold(cc)))
        {
            problems.Add(new(SalutationProblem.CasualHonorific, "cc の社外の方に「さん」を使っています。様を使いましょう (a colleague's honorific for someone outside the company)", cc));
        }

        var someoneNamed = kinds.Any(k => k.Kind is Kind.Person or Kind.Title or Kind.Casual or Kind.BareName or Kind.Group or Kind.Onchu);
        for (var i = 0; i < kinds.Count; i++)
        {
            var (line, kind) = kinds[i];
            switch (kind)
            {
                case Kind.Group when CasualGroup().IsMatch(line.Compact):
                    problems.Add(new(SalutationProblem.CasualHonorific, "社外の方に「皆さん」を使っています。「皆様」としましょう (皆さん is how colleagues are addressed)", line.Original));
                    break;
                case Kind.Casual:
                    problems.Add(new(SalutationProblem.CasualHonorific, "社外の方に「さん」「君」などを使っています。様を使いましょう (a colleague's honorific for someone outside the company)", line.Original));
                    break;
                case Kind.BareName when CompanyAbove(line, kinds.Skip(i + 1)):
                    // "ミライシステム / サポート窓口 御中": a company written without its legal form above its addressee.
                    break;
                case Kind.BareName:
                    problems.Add(new(SalutationProblem.MissingHonorific, "宛名の方に敬称 (様・殿) がありません (the addressee has no honorific)", line.Original));
                    break;
                case Kind.Organisation when !someoneNamed:
                    problems.Add(new(SalutationProblem.MissingOnchu, "会社・部署だけの宛名に御中がありません (a company or department with nobody named needs 御中)", line.Original));
                    someoneNamed = true; // said once for the block
                    break;
            }
        }

        return problems;
    }

    /// <summary>
    /// A line of one katakana-bearing or long name (ミライシステム, パートナー工業) with an honoured
    /// addressee below it is that addressee's company, not a person without 様.
    /// </summary>
    private static bool CompanyAbove(Line line, IEnumerable<(Line Line, Kind Kind)> below) =>
        line.Tokens.Count == 1 && (KatakanaWord().IsMatch(line.Compact) || line.Compact.Length >= 5)
        && below.Any(k => k.Kind is Kind.Person or Kind.Onchu or Kind.Title or Kind.Group);

    [GeneratedRegex(@"\p{IsKatakana}{2,}")]
    private static partial Regex KatakanaWord();

    [GeneratedRegex(@"(会長|社長|副社長|専務|常務|取締役|部長|次長|課長|係長|主任|室長|所長|支店長|工場長|様)(様|殿)[、,。.!！]?$")]
    private static partial Regex TitleAndHonorific();

    // 皆様各位, 各位殿: two honorifics for one group.
    [GeneratedRegex(@"(皆様|皆さま|みなさま|皆さん)各位|各位(殿|御中)|(?<!客)(様|さま)各位|殿各位")]
    private static partial Regex DoubleGroup();

    /// <summary>A line with several addressees split at 、 , ・ (after an honorific), each a line of its own for the checks.</summary>
    private static IEnumerable<Line> Addressees(Line line)
    {
        var parts = AddresseeSeparator().Split(line.Original);
        if (parts.Length == 1)
        {
            yield return line;
            yield break;
        }

        foreach (var part in parts.Select(p => p.Trim()).Where(p => p.Length > 0))
        {
            var tokens = AttachmentPromise.Fold(part).Split([' ', '\t', '　'], StringSplitOptions.RemoveEmptyEntries);
            yield return new Line(line.Original, string.Concat(tokens), tokens);
        }
    }

    /// <summary>"清水 隆 各位", "清水各位": a person's name (not 関係者, 株主, a department or a title) right before 各位.</summary>
    private static bool PersonBeforeKakui(Line line)
    {
        var at = line.Tokens.ToList().FindIndex(t => t.StartsWith("各位", StringComparison.Ordinal));
        if (at < 1)
        {
            return false;
        }

        var before = line.Tokens[at - 1];
        return PersonName().IsMatch(before) && !IsOrganisation(before) && !Titles.Contains(before) && !GroupNoun().IsMatch(before)
            && (at >= 2 ? PersonName().IsMatch(line.Tokens[at - 2]) || IsOrganisation(line.Tokens[at - 2]) : before.Length <= 3);
    }

    // Who 各位 may follow: those it was made for.
    [GeneratedRegex(@"(関係者|取引先|株主|会員|社員|職員|従業員|役員|参加者|出席者|受講者|委員|担当者|責任者|利用者|販売店|代理店|店|者|員|生|様)$")]
    private static partial Regex GroupNoun();

    [GeneratedRegex(@"(皆さん|みなさん)")]
    private static partial Regex CasualGroup();

    [GeneratedRegex(@"[●○〇◯□×]{2,}[ 　]*([●○〇◯□×]{2,}[ 　]*)?(様|さま|殿|御中|さん|各位)|(株式会社|\(株\))[ 　]*[●○〇◯□×]{2,}|[●○〇◯□×]{2,}[ 　]*(株式会社|部|課)\b|\[(first |last |family |given |full |contact )?name\]|\{\{?\s*\w*name\w*\s*\}\}?|<(名前|氏名|宛名|name)>|【(名前|氏名|宛名|会社名|お名前)】|\b(XX|xx)[ 　]*(様|さま|殿)", RegexOptions.IgnoreCase)]
    private static partial Regex PlaceholderName();

    [GeneratedRegex(@"^[(（]?\s*(cc|bcc|写し)\s*[:：]", RegexOptions.IgnoreCase)]
    private static partial Regex CcLine();

    [GeneratedRegex(@"(弊社|当社|社内|小社|当方)")]
    private static partial Regex OwnSideWord();

    [GeneratedRegex(@"[\p{IsCJKUnifiedIdeographs}々\p{IsKatakana}\p{IsHiragana}]{1,8}\s*(さん|くん|君|ちゃん)")]
    private static partial Regex CasualInCc();

    /// <summary>"田中 一郎 御中": a person's name (or a title and a name) right before 御中.</summary>
    private static bool PersonBeforeOnchu(Line line)
    {
        var at = line.Tokens.ToList().FindIndex(t => t.StartsWith("御中", StringComparison.Ordinal));
        if (at < 1)
        {
            return false;
        }

        var before = line.Tokens[at - 1];
        var earlier = at >= 2 ? line.Tokens[at - 2] : null;
        return PersonName().IsMatch(before) && !IsOrganisation(before)
            && earlier is not null && ((PersonName().IsMatch(earlier) && !IsOrganisation(earlier)) || Titles.Contains(earlier));
    }

    private enum Kind { Group, Onchu, Person, Casual, Title, BareName, Organisation, Other }

    private static Kind Classify(Line line)
    {
        var compact = line.Compact;
        if (IsGroup(compact))
        {
            return Kind.Group;
        }

        if (compact.Contains("御中", StringComparison.Ordinal))
        {
            return Kind.Onchu;
        }

        if (EndsWithAny(compact, PersonHonorifics) || ContainsNamedPerson(compact))
        {
            return Kind.Person;
        }

        if (EndsWithAny(compact, CasualHonorifics))
        {
            return Kind.Casual;
        }

        if (EndsWithTitle(compact))
        {
            return Kind.Title;
        }

        // "株式会社パートナー工業 営業部 田中": the address, then a name without an honorific.
        var last = line.Tokens.Count > 0 ? line.Tokens[^1] : compact;
        if (LooksLikeName(last) && !IsOrganisation(last) && (line.Tokens.Count > 1 || !IsOrganisation(compact)))
        {
            return Kind.BareName;
        }

        // "開発部 森": a one-character family name after the department is a person too.
        if (line.Tokens.Count > 1 && PersonName().IsMatch(last) && !IsOrganisation(last) && IsOrganisation(line.Tokens[^2]))
        {
            return Kind.BareName;
        }

        return IsOrganisation(compact) ? Kind.Organisation : Kind.Other;
    }

    /// <summary>
    /// The companies the addressee block names, as a key that survives how people write them:
    /// 株式会社クライアント, (株)クライアント, クライアント社 and クライアント 御中 are all "クライアント".
    /// Departments and people are not companies; English salutations are not read.
    /// </summary>
    public static IReadOnlyList<string> Companies(string newText, int maxLines = 5)
    {
        var names = new List<string>();
        foreach (var line in AddresseeBlock(newText, maxLines))
        {
            foreach (var token in line.Tokens)
            {
                if (CompanyKey(token) is { } key && !names.Contains(key))
                {
                    names.Add(key);
                }
            }
        }

        return names;
    }

    /// <summary>
    /// <see cref="Companies"/>, and also a company written without its legal form on a line of its
    /// own above an honoured addressee (ミライシステム / 開発部 森様), which is only
    /// <see cref="AddressedCompany.Certain"/> when it has one.
    /// </summary>
    public static IReadOnlyList<AddressedCompany> AddressCompanies(string newText, int maxLines = 5)
    {
        var found = Companies(newText, maxLines).Select(c => new AddressedCompany(c, true)).ToList();
        void Add(string key, bool certain)
        {
            if (!found.Any(f => f.Key == key))
            {
                found.Add(new(key, certain));
            }
        }

        var kinds = AddresseeBlock(newText, maxLines).Select(l => (Line: l, Kind: Classify(l))).ToList();
        for (var i = 0; i < kinds.Count; i++)
        {
            var (line, kind) = kinds[i];
            if (kind == Kind.BareName && CompanyAbove(line, kinds.Skip(i + 1)))
            {
                Add(TextNormalizer.Normalize(line.Compact), false);
            }
            else if (kind == Kind.Person && line.Tokens.Count >= 2 && CompanyBeforePerson(line.Tokens[0]))
            {
                // "パートナー工業 佐々木様": the company, without its legal form, on the person's line.
                Add(TextNormalizer.Normalize(line.Tokens[0]), false);
            }
        }

        // A letter's address after its close (後付け: 敬具 / date / sender / 株式会社X / 田中様), its last paragraph.
        var close = LetterClose().Match(newText);
        if (close.Success)
        {
            var last = newText[(close.Index + close.Length)..].Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Trim()).LastOrDefault(p => p.Length > 0);
            if (last is not null && Honoured().IsMatch(AttachmentPromise.Fold(last.Split('\n')[^1].Trim())))
            {
                foreach (var company in Companies(last, maxLines))
                {
                    Add(company, true);
                }
            }
        }

        // "平素は株式会社クライアント様に格別のお引き立てを賜り": the company the opening sentence thanks.
        foreach (var line in newText.Split('\n').Select(l => AttachmentPromise.Fold(l.Trim())).Where(l => l.Length > 0 && !l.StartsWith('>')).Take(8))
        {
            if (!OpeningThanks().IsMatch(line))
            {
                continue;
            }

            foreach (Match match in ThankedCompany().Matches(line))
            {
                if (CompanyKey(match.Value) is { } key)
                {
                    Add(key, true);
                }
            }
        }

        return found;
    }

    /// <summary>A company's name without its legal form before the person (ミライシステム 森様), not a family name, a title or a department.</summary>
    private static bool CompanyBeforePerson(string token) =>
        token.Length >= 3 && CompanyKey(token) is null && !IsOrganisation(token) && !PersonName().IsMatch(token) && !Titles.Contains(token)
        && !GroupAddress().IsMatch(token) && !token.StartsWith('ご') && !token.StartsWith('御') && (KatakanaWord().IsMatch(token) || token.Length >= 4);

    [GeneratedRegex(@"(?m)^[ 　]*(敬具|敬白|草々|謹言|以上)[ 　]*$")]
    private static partial Regex LetterClose();

    [GeneratedRegex(@"(平素|日頃|日ごろ|毎々|毎度|格別|お引き立て|お引立て|ご愛顧|ご高配|ご厚情)")]
    private static partial Regex OpeningThanks();

    [GeneratedRegex(@"((株式会社|有限会社|合同会社|\(株\))[^\s、。,様殿]{2,20}|[^\s、。,は]{2,20}(株式会社|銀行))(?=(様|殿|御中|におかれ))")]
    private static partial Regex ThankedCompany();

    /// <summary>The company a token names, without its legal form and honorific; null when it names none.</summary>
    internal static string? CompanyKey(string token)
    {
        var text = Addressed().Replace(token.Replace("御中", "", StringComparison.Ordinal), "").Trim();
        var legal = LegalForm().IsMatch(text) || text.EndsWith('社') || CompanyEnding().IsMatch(text);
        if (!legal)
        {
            return null;
        }

        var key = LegalForm().Replace(text, "");
        if (key.EndsWith('社') && !key.EndsWith("支社", StringComparison.Ordinal) && !key.EndsWith("本社", StringComparison.Ordinal))
        {
            key = key[..^1];
        }

        key = TextNormalizer.Normalize(key).Trim();
        return key.Length >= 2 && !DepartmentEndings.Any(e => key.EndsWith(e, StringComparison.Ordinal) && e != "社") ? key : null;
    }

    [GeneratedRegex(@"(様|さま|殿|宛|宛て)$")]
    private static partial Regex Addressed();

    /// <summary>
    /// The companies a document is addressed to: in its file name (見積書_株式会社クライアント様.pdf,
    /// 請求書_クライアント社_11月分.pdf), and on its first lines where a company is addressed (株式会社クライアント
    /// 御中, …様 or 殿) — not a company only mentioned there (届け先, 振込先, …向け案件). A name with a
    /// legal form (株式会社, …銀行, …社) is <see cref="AddressedCompany.Certain"/>; one that is only
    /// honoured (【パートナー工業様】, クライアント 御中) may be a person's name, and only tells when the
    /// tenant's history knows it as a company.
    /// </summary>
    public static IReadOnlyList<AddressedCompany> AddressedCompanies(string fileName, string text)
    {
        var names = new List<AddressedCompany>();
        void Add(IReadOnlyList<string> tokens, int i)
        {
            var token = tokens[i];
            if (CompanyKey(token) is { } key)
            {
                if (!names.Contains(new(key, true)))
                {
                    names.RemoveAll(n => n.Key == key);
                    names.Add(new(key, true));
                }

                return;
            }

            var honoured = Honoured().IsMatch(token) || (i + 1 < tokens.Count && Honorific().IsMatch(tokens[i + 1]));
            if (honoured && HonouredKey(token) is { } name && !names.Any(n => n.Key == name))
            {
                names.Add(new(name, false));
            }
        }

        var parts = FileNameParts().Split(Path.GetFileNameWithoutExtension(AttachmentPromise.Fold(fileName))).Where(p => p.Length > 0).ToList();
        for (var i = 0; i < parts.Count; i++)
        {
            Add(parts, i);
        }

        foreach (var line in AttachmentPromise.Fold(text.Length > 2000 ? text[..2000] : text).Split('\n').Take(40))
        {
            if (AddressLine().IsMatch(line) && !Mention().IsMatch(line))
            {
                var tokens = LineParts().Split(line).Where(p => p.Length > 0).ToList();
                for (var i = 0; i < tokens.Count; i++)
                {
                    Add(tokens, i);
                }
            }
        }

        return names;
    }

    /// <summary>A document made for everyone (a case study, a press release): the companies it names are not whom it is for.</summary>
    public static bool IsPublicDocument(string fileName, string text) =>
        PublicDocument().IsMatch(fileName) || PublicDocument().IsMatch(text.Length > 200 ? text[..200] : text);

    [GeneratedRegex(@"(導入事例|事例紹介|お客様事例|活用事例|プレスリリース|ニュースリリース|(?i:case[ _-]?study|customer[ _-]?story|press[ _-]?release))")]
    private static partial Regex PublicDocument();

    /// <summary>
    /// The companies with a legal form in a document's heading — its first lines that are not table
    /// rows and not a role (届け先, 振込先, 納品先): whose drawing, contract or report it is. A
    /// shipping instruction listing its destinations, or a transfer request its payees, names them
    /// in rows and roles, for the carrier or the bank.
    /// </summary>
    public static IReadOnlyList<string> HeadingCompanies(string text)
    {
        var names = new List<string>();
        foreach (var line in HeadingLines(text))
        {
            foreach (var token in LineParts().Split(line))
            {
                if (CompanyKey(token) is { } key && !names.Contains(key))
                {
                    names.Add(key);
                }
            }
        }

        return names;
    }

    /// <summary>
    /// The rows of a table in a document (tab-separated, as a sheet's rows are read, or CSV): where a
    /// receivables or customer list names its companies, one per row.
    /// </summary>
    /// <remarks>A table whose header names a role (受取人, 届け先, 納品先) is a transfer request or a shipping instruction, made for a bank or a carrier: none.</remarks>
    public static string TableRows(string text, int maxChars)
    {
        var rows = AttachmentPromise.Fold(text.Length > maxChars ? text[..maxChars] : text).Split('\n')
            .Where(line => line.Contains('\t', StringComparison.Ordinal) || line.Count(c => c == ',') >= 2).ToList();
        return rows.Any(row => Mention().IsMatch(row)) ? "" : string.Join('\n', rows);
    }

    /// <summary>A document's heading as text (<see cref="HeadingCompanies"/>): for the English names of a file's first page.</summary>
    public static string HeadingText(string text) => string.Join('\n', HeadingLines(text));

    private static IEnumerable<string> HeadingLines(string text)
    {
        // "Consignee / deliver to:" on a line of its own names the role of the lines below it, up to the next empty line.
        var underRole = false;
        var read = 0;
        foreach (var line in AttachmentPromise.Fold(text.Length > 2000 ? text[..2000] : text).Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0)
            {
                underRole = false;
                continue;
            }

            if (++read > 12)
            {
                yield break;
            }

            if (Mention().IsMatch(trimmed))
            {
                underRole |= trimmed.EndsWith(':') || trimmed.EndsWith('：');
                continue;
            }

            if (!underRole && !line.Contains('\t', StringComparison.Ordinal))
            {
                yield return line;
            }
        }
    }

    /// <summary>Every company with a legal form named on the first lines of <paramref name="text"/>, addressed or not (the issuer of a quote, a party to a contract).</summary>
    public static IReadOnlyList<string> CompaniesNamed(string text, int maxChars = 2000)
    {
        var names = new List<string>();
        foreach (var token in LineParts().Split(AttachmentPromise.Fold(text.Length > maxChars ? text[..maxChars] : text)))
        {
            if (CompanyKey(token) is { } key && !names.Contains(key))
            {
                names.Add(key);
            }
        }

        return names;
    }

    /// <summary>A name that is only honoured (パートナー工業様), without the honorific: at least three characters, not a group address.</summary>
    private static string? HonouredKey(string token)
    {
        if (GroupAddress().IsMatch(token))
        {
            return null;
        }

        var key = TextNormalizer.Normalize(Addressed().Replace(token.Replace("御中", "", StringComparison.Ordinal), "").Trim()).Trim();
        return key.Length >= 3 && !Ascii(key) ? key : null;
    }

    [GeneratedRegex(@".(様|御中|殿)$")]
    private static partial Regex Honoured();

    [GeneratedRegex(@"^(様|御中|殿)$")]
    private static partial Regex Honorific();

    /// <summary>
    /// English company names with their legal form (Global Parts Ltd., ABC Trading Inc., Sample
    /// Shoji Co., Ltd.) in <paramref name="text"/>, each as the letters and digits of the name in
    /// lower case ("globalparts"): the form a company's domain usually takes (globalparts.co.uk).
    /// </summary>
    public static IReadOnlyList<(string Name, string Key)> EnglishCompanies(string text, int maxChars = 2000)
    {
        var found = new List<(string, string)>();
        // "Dear ABC Trading team": a company greeted as a team needs no legal form.
        foreach (Match match in EnglishTeam().Matches(text.Length > 400 ? text[..400] : text))
        {
            var name = match.Groups["name"].Value;
            var key = new string(name.Where(char.IsAsciiLetterOrDigit).ToArray()).ToLowerInvariant();
            if (key.Length >= 3 && !found.Any(f => f.Item2 == key))
            {
                found.Add((name, key));
            }
        }

        foreach (Match match in EnglishCompany().Matches(text.Length > maxChars ? text[..maxChars] : text))
        {
            var name = match.Groups["name"].Value;
            // "Dear Sales Team at Global Parts Ltd.": the words before the name's own are not the name.
            var words = name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var start = Array.FindLastIndex(words, w => EnglishStopWord().IsMatch(w)) + 1;
            var key = new string(string.Concat(words.Skip(start)).Where(char.IsAsciiLetterOrDigit).ToArray()).ToLowerInvariant();
            if (key.Length >= 3 && !found.Any(f => f.Item2 == key))
            {
                found.Add((string.Join(' ', words.Skip(start)) + " " + match.Groups["form"].Value, key));
            }
        }

        return found;
    }

    /// <summary>
    /// The English name a subject starts with before a dash, colon or bar ("ABC Trading – revised Q2
    /// forecast", "Fwd: Global Parts: delivery"): whom the mail is about, as <see cref="EnglishCompanies"/>
    /// keys it. A reply's subject is the thread's, written by whoever started it, and is not read.
    /// </summary>
    public static IReadOnlyList<(string Name, string Key)> SubjectTopic(string subject)
    {
        if (ReplySubject().IsMatch(subject) || SubjectTopicName().Match(subject) is not { Success: true } match)
        {
            return [];
        }

        var name = match.Groups["name"].Value;
        var key = new string(name.Where(char.IsAsciiLetterOrDigit).ToArray()).ToLowerInvariant();
        return key.Length >= 3 ? [(name, key)] : [];
    }

    [GeneratedRegex(@"^\s*(re|aw|sv|回答|返信)\s*[:：]", RegexOptions.IgnoreCase)]
    private static partial Regex ReplySubject();

    [GeneratedRegex(@"^\s*(?:(?:(?i:fwd?)|転送)\s*[:：]\s*)*(?:\[[^\]]*\]\s*)?(?<name>[A-Z][A-Za-z0-9&'\-]*(?: [A-Z][A-Za-z0-9&'\-]*){0,3})(?:\s*[–—:|/]| - )")]
    private static partial Regex SubjectTopicName();

    [GeneratedRegex(@"(?<name>(?:[A-Z][A-Za-z0-9&'\-]*[ \t]+){0,4}[A-Z][A-Za-z0-9&'\-]*),?[ \t]+(?<form>Co\.,?\s*Ltd\.?|Ltd\.?|Limited|Inc\.?|Incorporated|Corp\.?|Corporation|LLC|L\.L\.C\.|GmbH|PLC|plc|Pte\.?\s*Ltd\.?|K\.K\.)(?![A-Za-z])")]
    private static partial Regex EnglishCompany();

    [GeneratedRegex(@"(?m)^(Dear|Hi|Hello|To)( the| all at| everyone at)? (?<name>[A-Z][A-Za-z0-9&'\-]*( [A-Z][A-Za-z0-9&'\-]*){0,3}) (team|colleagues|staff|people|friends)\b")]
    private static partial Regex EnglishTeam();

    [GeneratedRegex(@"^(Dear|To|Attn|Attention|At|Of|For|From|And|Between|With|The|Messrs|Mr|Ms|Mrs|Dr|Team|Sales|Purchasing|Department|Dept|Hi|Hello)\.?:?,?$")]
    private static partial Regex EnglishStopWord();

    [GeneratedRegex(@"[_\-\s.()（）\[\]【】「」『』]+")]
    private static partial Regex FileNameParts();

    [GeneratedRegex(@"[\s:：,、()（）\[\]【】「」『』\t]+")]
    private static partial Regex LineParts();

    [GeneratedRegex(@"(御中|様|殿)")]
    private static partial Regex AddressLine();

    [GeneratedRegex(@"(向け|案件|届け先|振込先|出荷元|出荷先|委託先|荷主|納品先|納入先|支払先|受取人|配送先|仕向先|送り先|発送先|依頼主|出席|参加者|同席|場所|会場|対象|エンドユーザー|顧客名|お客様名|利用者|(?i:ship to|deliver to|payee|consignee|attendees|participants|venue))")]
    private static partial Regex Mention();

    [GeneratedRegex(@"(株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人|公益社団法人|公益財団法人|\(株\)|\(有\)|（株）|（有）|㈱|㈲)")]
    private static partial Regex LegalForm();

    [GeneratedRegex(@"(銀行|信用金庫|信金|証券|保険|病院|大学|協会|組合|事務所)$")]
    private static partial Regex CompanyEnding();

    internal sealed record Line(string Original, string Compact, IReadOnlyList<string> Tokens);

    /// <summary>
    /// The lines above the greeting: from the first non-empty line to the first empty line, the
    /// greeting itself (いつもお世話になっております, Dear …) or a sentence, at most <paramref name="max"/>.
    /// </summary>
    internal static List<Line> AddresseeBlock(string newText, int max)
    {
        var block = new List<Line>();
        foreach (var raw in newText.Split('\n'))
        {
            var original = raw.Trim().Trim('　');
            if (original.Length == 0)
            {
                if (block.Count > 0)
                {
                    break;
                }

                continue;
            }

            var folded = AttachmentPromise.Fold(original);
            // A calendar invitation or a form starts with its fields (件名：…, 日時：…, 場所：…): the
            // addressee block, if any, comes after them.
            if (block.Count == 0 && FieldLine().IsMatch(folded))
            {
                continue;
            }

            if (Greeting().IsMatch(folded) || folded.Length > 40 || folded.EndsWith('。') || Ascii(folded) || block.Count == max)
            {
                break;
            }

            // "田中様（株式会社パートナー工業）": the company in brackets after the person is the line above them.
            var parts = TrailingBrackets().Match(folded) is { Success: true } brackets
                ? [brackets.Groups["inner"].Value, brackets.Groups["head"].Value]
                : new[] { folded };
            foreach (var part in parts)
            {
                if (OwnSide().IsMatch(part))
                {
                    continue;
                }

                var tokens = part.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(t => t.Trim('、', ',', ':', '：', '　')).Where(t => t.Length > 0).ToList();
                block.Add(new Line(original, string.Concat(tokens), tokens));
            }
        }

        return block;
    }

    [GeneratedRegex(@"^(件名|日時|日程|開催日時?|時間|場所|会場|主催者?|開催者|出席者|参加者|議題|形式|会議ID|会議URL|URL|(?i:subject|when|where|date|time|location|organi[sz]er|agenda|attendees))\s*[:：]")]
    private static partial Regex FieldLine();

    [GeneratedRegex(@"^(?<head>[^()]*[^()\s])\s*\((?<inner>[^()]*[^()\s][^()]*)\)$")]
    private static partial Regex TrailingBrackets();

    private static bool Ascii(string text) => System.Text.Ascii.IsValid(text);

    private static bool IsGroup(string compact) => GroupAddress().IsMatch(compact);

    private static bool EndsWithAny(string compact, string[] endings)
    {
        var text = compact.TrimEnd('、', ',', '。', '.', ':', '：', '!', '！');
        return endings.Any(e => text.Length > e.Length && text.EndsWith(e, StringComparison.Ordinal));
    }

    /// <summary>"田中様、佐藤様": a person honoured in the middle of a line with several addressees.</summary>
    private static bool ContainsNamedPerson(string compact) => NamedPerson().IsMatch(compact);

    private static bool EndsWithTitle(string compact) => EndsWithAny(compact, Titles) && !IsDepartmentOnly(compact);

    // "営業部長" is a title, "営業部" a department; "センター長" a title, "センター" a place.
    private static bool IsDepartmentOnly(string compact) => DepartmentEndings.Any(e => compact.EndsWith(e, StringComparison.Ordinal)) && !Titles.Any(t => compact.EndsWith(t, StringComparison.Ordinal));

    private static bool IsOrganisation(string compact) =>
        OrganisationWords.Any(w => compact.Contains(w, StringComparison.Ordinal))
        || DepartmentEndings.Any(e => compact.Length > e.Length && compact.EndsWith(e, StringComparison.Ordinal));

    /// <summary>A family name or full name as written in a salutation: two to eight kanji or kana, nothing else.</summary>
    private static bool LooksLikeName(string token) => NameToken().IsMatch(token);

    [GeneratedRegex(@"^(いつも|毎々|平素|お世話|おせわ|お疲れ|おつかれ|ご無沙汰|ごぶさた|初めまして|はじめまして|突然|拝啓|前略|謹啓|ありがとう|有難う|失礼|夜分|早速|先日|先ほど|先程|本日|昨日|ご連絡|ご返信|ご丁寧|こんにちは|こんばんは|おはよう|(?i:dear|hi|hello|to whom))")]
    private static partial Regex Greeting();

    [GeneratedRegex(@"(各位|皆様|皆さま|みなさま|皆さん|みなさん|ご担当者?様|ご担当者?各位|御担当者?様|担当者様|ご一同様|御一同様|お客様|関係者様)")]
    private static partial Regex GroupAddress();

    [GeneratedRegex(@"(様|さま|殿|先生)[、,・/]")]
    private static partial Regex NamedPerson();

    [GeneratedRegex(@"^(\(?(cc|bcc|ｃｃ)\b|\(?(cc|bcc)[:：]|弊社|当社|社内|小社|弊所|当方)", RegexOptions.IgnoreCase)]
    private static partial Regex OwnSide();

    [GeneratedRegex(@"^[\p{IsCJKUnifiedIdeographs}\p{IsHiragana}\p{IsKatakana}々ー]{2,8}$")]
    private static partial Regex NameToken();

    // A family or given name as people write it: one to four kanji, or hiragana.
    [GeneratedRegex(@"^([\p{IsCJKUnifiedIdeographs}々]{1,4}|\p{IsHiragana}{2,6})$")]
    private static partial Regex PersonName();

    [GeneratedRegex(@"(?<=(様|さま|殿|さん|くん|君|ちゃん|先生|御中))\s*[、,，・/]\s*")]
    private static partial Regex AddresseeSeparator();
}
