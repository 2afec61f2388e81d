using System.Text;

namespace SendGate.Core.Policies.Detectors;

/// <summary>A recipient named in the greeting block without an honorific, with the line where it appears.</summary>
public sealed record MissingHonorific(string Name, string Line);

/// <summary>Checks that recipients named at the top of a Japanese business mail carry an honorific (敬称).</summary>
public static class HonorificCheck
{
    // Compared after NFKC, so full-width and half-width forms are covered; "サマ" is what half-width "ｻﾏ" becomes.
    // A job title after the name addresses the person as well (鈴木部長, 田中社長; 部長様 too).
    private static readonly string[] Honorifics =
    [
        "様", "殿", "御中", "さま", "サマ", "各位", "先生", "ご担当", "御担当", "担当者様", "くん", "君", "さん",
        "会長", "社長", "副社長", "専務", "常務", "取締役", "部長", "次長", "課長", "係長", "主任", "室長", "所長", "支店長", "工場長", "教授", "院長", "理事長",
    ];

    // Those that address a person (御中 and 各位 address an organisation or a group).
    private static readonly string[] PersonalHonorifics =
        ["様", "殿", "さま", "サマ", "先生", "くん", "君", "さん", "社長", "専務", "常務", "部長", "課長", "係長", "室長", "所長", "支店長", "教授"];

    // A service address's display name (ミライシステム サポート窓口) names a desk, not a person to honour.
    private static readonly string[] OrganisationWords =
        ["株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "(株)", "(有)", "法人", "協会", "組合", "大学", "研究所", "病院", "銀行", "事務所", "窓口", "事務局", "受付", "デスク", "サポート", "ヘルプ"];

    private static readonly string[] DepartmentEndings =
        ["部", "課", "室", "係", "グループ", "チーム", "センター", "支店", "支社", "営業所", "本部"];

    /// <summary>
    /// Reports each display name that appears in the first <paramref name="firstLines"/> non-empty lines of
    /// <paramref name="bodyText"/> but never followed by an honorific there. Latin-only names are skipped.
    /// </summary>
    public static IReadOnlyList<MissingHonorific> Find(string bodyText, IEnumerable<string> recipientDisplayNames, int firstLines = 5)
    {
        ArgumentNullException.ThrowIfNull(bodyText);
        ArgumentNullException.ThrowIfNull(recipientDisplayNames);
        if (firstLines <= 0)
        {
            return [];
        }

        var lines = GreetingLines(bodyText, firstLines);
        if (lines.Count == 0)
        {
            return [];
        }

        // "株式会社サンプル / 営業部 / 鈴木 様": the company and department lines are the address, and
        // take no honorific of their own when the person below them is addressed.
        var personAddressed = lines.Any(l => EndsWithPersonalHonorific(l.Compact));
        List<MissingHonorific>? missing = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in recipientDisplayNames)
        {
            var name = raw?.Trim();
            if (string.IsNullOrEmpty(name) || !seen.Add(name))
            {
                continue;
            }
            var candidates = Candidates(name);
            if (candidates.Count == 0 || (personAddressed && IsOrganisation(TextNormalizer.Normalize(name))))
            {
                continue;
            }
            var unhonouredLine = Check(lines, candidates);
            if (unhonouredLine is not null)
            {
                (missing ??= []).Add(new MissingHonorific(name, unhonouredLine));
            }
        }
        return missing ?? (IReadOnlyList<MissingHonorific>)[];
    }

    /// <summary>The original trimmed line of the first unhonoured mention, or null when the name is honoured or absent.</summary>
    private static string? Check(List<(string Original, string Compact)> lines, List<string> candidates)
    {
        string? firstBare = null;
        foreach (var (original, compact) in lines)
        {
            foreach (var candidate in candidates)
            {
                for (var at = compact.IndexOf(candidate, StringComparison.Ordinal); at >= 0;
                     at = compact.IndexOf(candidate, at + 1, StringComparison.Ordinal))
                {
                    if (StartsWithHonorific(compact.AsSpan(at + candidate.Length)))
                    {
                        return null;
                    }
                    firstBare ??= original;
                }
            }
        }
        return firstBare;
    }

    private static bool EndsWithPersonalHonorific(string compact)
    {
        var line = compact.AsSpan().TrimEnd("、,。.:：!！");
        foreach (var honorific in PersonalHonorifics)
        {
            if (line.Length > honorific.Length && line.EndsWith(honorific, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsOrganisation(string normalizedName)
    {
        var name = normalizedName.Trim();
        return OrganisationWords.Any(w => name.Contains(w, StringComparison.Ordinal))
            || DepartmentEndings.Any(e => name.Length > e.Length && name.EndsWith(e, StringComparison.Ordinal));
    }

    private static bool StartsWithHonorific(ReadOnlySpan<char> rest)
    {
        foreach (var honorific in Honorifics)
        {
            if (rest.StartsWith(honorific, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Each line as written (for the report) and folded with all white space removed, which is how
    /// "山田　太郎　様" matches both the whole name and "太郎" + "様" without special cases.
    /// </summary>
    private static List<(string Original, string Compact)> GreetingLines(string body, int count)
    {
        var lines = new List<(string, string)>(count);
        foreach (var range in body.AsSpan().SplitAny('\n', '\r'))
        {
            var line = body.AsSpan(range).Trim();
            if (line.IsEmpty)
            {
                continue;
            }
            var original = line.ToString();
            lines.Add((original, WithoutWhiteSpace(TextNormalizer.Normalize(original))));
            if (lines.Count == count)
            {
                break;
            }
        }
        return lines;
    }

    /// <summary>The whole name without white space, then each part of two or more characters (usually the family name).</summary>
    private static List<string> Candidates(string name)
    {
        var normalized = TextNormalizer.Normalize(name);
        // Latin names and bare addresses follow no honorific convention worth checking.
        if (Ascii.IsValid(normalized))
        {
            return [];
        }
        var candidates = new List<string>();
        var whole = WithoutWhiteSpace(normalized);
        if (whole.Length > 0)
        {
            candidates.Add(whole);
        }
        foreach (var part in normalized.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            // An ASCII part such as "sales" in "株式会社サンプル sales" is a word, not a name to address.
            if (part.Length >= 2 && !Ascii.IsValid(part) && !candidates.Contains(part))
            {
                candidates.Add(part);
            }
        }
        return candidates;
    }

    private static string WithoutWhiteSpace(string text)
    {
        var span = text.AsSpan();
        var first = -1;
        for (var i = 0; i < span.Length; i++)
        {
            if (char.IsWhiteSpace(span[i]))
            {
                first = i;
                break;
            }
        }
        if (first < 0)
        {
            return text;
        }
        var builder = new StringBuilder(text.Length);
        builder.Append(span[..first]);
        foreach (var c in span[first..])
        {
            if (!char.IsWhiteSpace(c))
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
