using System.Text.RegularExpressions;
using SendGate.Core.Policies.Detectors;

namespace SendGate.Core.Policies;

/// <summary>A compiled condition: a group or a leaf test, evaluated against one message.</summary>
internal abstract class Condition(string path)
{
    public string Path { get; } = path;

    /// <summary>True when the condition holds; the evidence of what made it true is appended to <paramref name="matches"/>.</summary>
    public abstract bool Evaluate(EvaluationContext context, List<ConditionMatch> matches);
}

internal sealed class AllCondition(string path, IReadOnlyList<Condition> children) : Condition(path)
{
    public override bool Evaluate(EvaluationContext context, List<ConditionMatch> matches)
    {
        var start = matches.Count;
        foreach (var child in children)
        {
            if (!child.Evaluate(context, matches))
            {
                matches.RemoveRange(start, matches.Count - start);
                return false;
            }
        }

        return true;
    }
}

internal sealed class AnyCondition(string path, IReadOnlyList<Condition> children) : Condition(path)
{
    // Stops at the first child that holds: that one is the explanation.
    public override bool Evaluate(EvaluationContext context, List<ConditionMatch> matches) =>
        children.Any(child => child.Evaluate(context, matches));
}

/// <summary>What a leaf test found: null when it does not hold.</summary>
internal sealed record Finding(string Detail, IReadOnlyList<string> Evidence)
{
    public static readonly IReadOnlyList<string> None = [];
}

internal abstract class LeafCondition(string path, string type, bool negate) : Condition(path)
{
    public string Type { get; } = type;

    /// <summary>The test in words, used when a negated leaf holds (nothing was found to show).</summary>
    public abstract string Describe();

    protected abstract Finding? Test(EvaluationContext context);

    public sealed override bool Evaluate(EvaluationContext context, List<ConditionMatch> matches)
    {
        var finding = Test(context);
        if (negate)
        {
            if (finding is not null)
            {
                return false;
            }

            matches.Add(new ConditionMatch(Type, Path, $"not: {Describe()}", Finding.None));
            return true;
        }

        if (finding is null)
        {
            return false;
        }

        // A pattern's excerpt may hold a number the number detectors would mask; evidence never shows one.
        matches.Add(new ConditionMatch(Type, Path, SensitiveNumbers.Mask(finding.Detail), finding.Evidence.Select(SensitiveNumbers.Mask).ToList()));
        return true;
    }

    protected static string List(IEnumerable<string> values) => string.Join(", ", values);
}

/// <summary>Which recipient fields a recipient condition looks at (all three by default).</summary>
internal readonly record struct FieldFilter(bool To, bool Cc, bool Bcc)
{
    public static readonly FieldFilter All = new(true, true, true);

    public bool Includes(string kind) => kind switch
    {
        Messages.RecipientKind.To => To,
        Messages.RecipientKind.Cc => Cc,
        _ => Bcc,
    };

    public string Describe() => this == All ? "recipients" : $"{string.Join("/", new[] { To ? "To" : null, Cc ? "Cc" : null, Bcc ? "Bcc" : null }.Where(f => f is not null))} recipients";

    public IEnumerable<RecipientFact> Of(MessageFacts facts)
    {
        var filter = this;
        return facts.Recipients.Where(r => filter.Includes(r.Kind));
    }
}

internal sealed class RecipientDomainCondition(string path, bool negate, IReadOnlyList<string> domains, bool notIn, FieldFilter fields)
    : LeafCondition(path, ConditionTypes.RecipientDomain, negate)
{
    public override string Describe() => $"a {fields.Describe()[..^1]} domain is {(notIn ? "not " : "")}in [{List(domains)}]";

    protected override Finding? Test(EvaluationContext context)
    {
        var hits = fields.Of(context.Facts).Where(r => DomainMatch.Covers(domains, r.Domain) != notIn).Select(r => r.Address).ToList();
        return hits.Count == 0 ? null : new Finding(Describe(), hits);
    }
}

internal sealed class ExternalRecipientsCondition(string path, bool negate, int min, FieldFilter fields)
    : LeafCondition(path, ConditionTypes.ExternalRecipients, negate)
{
    public override string Describe() => min == 1 ? $"any of the {fields.Describe()} is external" : $"{min} or more external {fields.Describe()}";

    protected override Finding? Test(EvaluationContext context)
    {
        var external = fields.Of(context.Facts).Where(r => !context.IsInternal(r.Domain)).Select(r => r.Address).ToList();
        return external.Count >= min ? new Finding($"{external.Count} external {fields.Describe()} (threshold {min})", external) : null;
    }
}

internal sealed class RecipientCountCondition(string path, bool negate, int min, FieldFilter fields)
    : LeafCondition(path, ConditionTypes.RecipientCount, negate)
{
    public override string Describe() => $"{min} or more {fields.Describe()}";

    protected override Finding? Test(EvaluationContext context)
    {
        var count = fields.Of(context.Facts).Count();
        return count >= min ? new Finding($"{count} {fields.Describe()} (threshold {min})", [count.ToString(System.Globalization.CultureInfo.InvariantCulture)]) : null;
    }
}

internal sealed class SenderCondition(string path, bool negate, IReadOnlyList<string> addresses, IReadOnlyList<string> domains, IReadOnlyList<string> groups)
    : LeafCondition(path, ConditionTypes.Sender, negate)
{
    public override string Describe()
    {
        var parts = new List<string>();
        if (addresses.Count > 0) parts.Add($"address in [{List(addresses)}]");
        if (domains.Count > 0) parts.Add($"domain in [{List(domains)}]");
        if (groups.Count > 0) parts.Add($"group in [{List(groups)}]");
        return $"the sender's {string.Join(" or ", parts)}";
    }

    protected override Finding? Test(EvaluationContext context) => Matches(context, context.Facts.Sender, addresses, domains, groups) is { } why
        ? new Finding($"sender {context.Facts.Sender} {why}", [context.Facts.Sender])
        : null;

    /// <summary>Shared with rule scopes: how the sender matched, or null.</summary>
    public static string? Matches(EvaluationContext context, string sender, IReadOnlyList<string> addresses, IReadOnlyList<string> domains, IReadOnlyList<string> groups)
    {
        if (addresses.Any(a => a.Equals(sender, StringComparison.OrdinalIgnoreCase)))
        {
            return "is listed";
        }

        if (DomainMatch.Covers(domains, MessageFacts.DomainOf(sender)))
        {
            return "is in a listed domain";
        }

        return groups.FirstOrDefault(g => context.InGroup(g, sender)) is { } group ? $"is in group '{group}'" : null;
    }
}

/// <summary>Keywords and/or a pattern over normalised text (NFKC, lower case).</summary>
internal sealed class TextMatcher(IReadOnlyList<string> keywords, Regex? pattern, string? patternText)
{
    public string Describe(string what)
    {
        var parts = new List<string>();
        if (keywords.Count > 0) parts.Add($"{what} contains any of [{string.Join(", ", keywords)}]");
        if (pattern is not null) parts.Add($"{what} matches /{patternText}/");
        return string.Join(" or ", parts);
    }

    public Finding? Find(string normalized, string what)
    {
        foreach (var keyword in keywords)
        {
            if (normalized.Contains(keyword, StringComparison.Ordinal))
            {
                return new Finding($"{what} contains '{keyword}'", [keyword]);
            }
        }

        if (pattern is null)
        {
            return null;
        }

        try
        {
            var match = pattern.Match(normalized);
            return match.Success ? new Finding($"{what} matches /{patternText}/", [Excerpt(match.Value)]) : null;
        }
        catch (RegexMatchTimeoutException)
        {
            // Fail closed: a gateway that waves mail through when a check cannot finish defeats its purpose.
            return new Finding($"{what}: /{patternText}/ did not finish in time; treated as a match", []);
        }
    }

    private static string Excerpt(string value) => value.Length <= 40 ? value : value[..40] + "…";
}

internal sealed class SubjectCondition(string path, bool negate, TextMatcher matcher) : LeafCondition(path, ConditionTypes.Subject, negate)
{
    public override string Describe() => matcher.Describe("subject");

    protected override Finding? Test(EvaluationContext context) => matcher.Find(context.Facts.NormalizedSubject, "subject");
}

internal sealed class BodyCondition(string path, bool negate, TextMatcher matcher) : LeafCondition(path, ConditionTypes.Body, negate)
{
    public override string Describe() => matcher.Describe("body");

    protected override Finding? Test(EvaluationContext context) => matcher.Find(context.Facts.NormalizedBody, "body");
}

internal sealed class HeaderCondition(string path, bool negate, string name, TextMatcher? matcher) : LeafCondition(path, ConditionTypes.Header, negate)
{
    public override string Describe() => matcher is null ? $"header {name} is present" : matcher.Describe($"header {name}");

    protected override Finding? Test(EvaluationContext context)
    {
        foreach (var header in context.Facts.Headers)
        {
            if (!header.Field.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (matcher is null)
            {
                return new Finding($"header {name} is present", [name]);
            }

            if (matcher.Find(TextNormalizer.Normalize(header.Value ?? ""), $"header {name}") is { } found)
            {
                return found;
            }
        }

        return null;
    }
}

internal sealed class AttachmentCountCondition(string path, bool negate, int? min, int? max) : LeafCondition(path, ConditionTypes.AttachmentCount, negate)
{
    public override string Describe() => (min, max) switch
    {
        (1, null) => "the message has attachments",
        (null or 0, 0) => "the message has no attachment",
        (_, null) => $"{min} or more attachments",
        (null, _) => $"at most {max} attachments",
        _ => $"{min} to {max} attachments",
    };

    protected override Finding? Test(EvaluationContext context)
    {
        var count = context.Facts.Attachments.Count;
        return count >= (min ?? 0) && count <= (max ?? int.MaxValue)
            ? new Finding($"{count} attachment(s): {Describe()}", context.Facts.Attachments.Select(a => a.FileName).ToList())
            : null;
    }
}

internal sealed class AttachmentCondition(
    string path, bool negate, IReadOnlyList<string> extensions, IReadOnlyList<string> contentTypes,
    long? minSize, long? maxSize, Regex? namePattern, string? namePatternText, bool? encryptedZip)
    : LeafCondition(path, ConditionTypes.Attachment, negate)
{
    public override string Describe()
    {
        var parts = new List<string>();
        if (extensions.Count > 0) parts.Add($"extension in [{List(extensions)}]");
        if (contentTypes.Count > 0) parts.Add($"type in [{List(contentTypes)}]");
        if (minSize is not null) parts.Add($"at least {minSize} bytes");
        if (maxSize is not null) parts.Add($"at most {maxSize} bytes");
        if (namePattern is not null) parts.Add($"name matches /{namePatternText}/");
        if (encryptedZip is not null) parts.Add(encryptedZip.Value ? "an encrypted zip" : "not an encrypted zip");
        return parts.Count == 0 ? "an attachment" : $"an attachment with {string.Join(", ", parts)}";
    }

    protected override Finding? Test(EvaluationContext context)
    {
        var hits = context.Facts.Attachments.Where(Matches).Select(a => a.FileName).ToList();
        return hits.Count == 0 ? null : new Finding(Describe(), hits);
    }

    private bool Matches(AttachmentFact a)
    {
        if (extensions.Count > 0 && !extensions.Contains(a.Extension, StringComparer.Ordinal))
        {
            return false;
        }

        if (contentTypes.Count > 0 && !contentTypes.Any(t => t.EndsWith("/*", StringComparison.Ordinal)
                ? a.ContentType.StartsWith(t[..^1], StringComparison.Ordinal)
                : a.ContentType == t))
        {
            return false;
        }

        if ((minSize is { } least && a.Size < least) || (maxSize is { } most && a.Size > most))
        {
            return false;
        }

        if (namePattern is not null)
        {
            try
            {
                if (!namePattern.IsMatch(TextNormalizer.Normalize(a.FileName)))
                {
                    return false;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // Fail closed, as with content patterns.
            }
        }

        return encryptedZip is not { } wanted || a.EncryptedZip == wanted;
    }
}

internal sealed class CreditCardCondition(string path, bool negate, int min) : LeafCondition(path, ConditionTypes.CreditCard, negate)
{
    public override string Describe() => "the subject, body or an attachment's text contains a credit-card number";

    protected override Finding? Test(EvaluationContext context)
    {
        var found = CreditCardDetector.Find(context.Facts.NormalizedSubject).Concat(CreditCardDetector.Find(context.Facts.NormalizedBody))
            .Concat(InAttachments.Find(context, t => CreditCardDetector.Find(t))).ToList();
        return found.Count >= min ? new Finding($"{found.Count} credit-card number(s) (Luhn-valid)", found) : null;
    }
}

internal sealed class MyNumberCondition(string path, bool negate, int min) : LeafCondition(path, ConditionTypes.MyNumber, negate)
{
    public override string Describe() => "the subject, body or an attachment's text contains a My Number (個人番号)";

    protected override Finding? Test(EvaluationContext context)
    {
        var found = MyNumberDetector.Find(context.Facts.NormalizedSubject).Concat(MyNumberDetector.Find(context.Facts.NormalizedBody))
            .Concat(InAttachments.Find(context, t => MyNumberDetector.Find(t))).ToList();
        return found.Count >= min ? new Finding($"{found.Count} My Number(s) with a valid check digit", found) : null;
    }
}

/// <summary>A number detector over the text inside each attachment; the evidence names the file and, when it was read only in part, says so.</summary>
internal static class InAttachments
{
    public static IEnumerable<string> Find(EvaluationContext context, Func<string, IReadOnlyList<string>> detector)
    {
        foreach (var attachment in context.Facts.Attachments)
        {
            if (attachment.EncryptedZip)
            {
                continue;
            }

            foreach (var found in detector(attachment.NormalizedText))
            {
                yield return $"{found} (in {attachment.FileName}{(attachment.Text.Limit is { } limit ? $", {limit}" : "")})";
            }
        }
    }
}

internal sealed class FirstTimeDomainCondition(string path, bool negate, FieldFilter fields) : LeafCondition(path, ConditionTypes.FirstTimeRecipientDomain, negate)
{
    public override string Describe() => $"an external domain among the {fields.Describe()} never received mail from this tenant";

    protected override Finding? Test(EvaluationContext context)
    {
        var firstTime = fields.Of(context.Facts)
            .Where(r => !context.IsInternal(r.Domain) && !context.Known.Contains(r.Domain))
            .Select(r => r.Domain).Distinct(StringComparer.Ordinal).ToList();
        return firstTime.Count == 0 ? null : new Finding($"first mail to {List(firstTime)}", firstTime);
    }
}

internal sealed class LookalikeDomainCondition(string path, bool negate, int maxDistance, FieldFilter fields) : LeafCondition(path, ConditionTypes.LookalikeDomain, negate)
{
    public override string Describe() => $"a domain among the {fields.Describe()} looks like a known domain (within {maxDistance} edits or a homoglyph)";

    protected override Finding? Test(EvaluationContext context)
    {
        var index = context.Known.Index(context.Settings.InternalDomains);
        var evidence = new List<string>();
        foreach (var domain in fields.Of(context.Facts).Select(r => r.Domain).Distinct(StringComparer.Ordinal))
        {
            if (index.Find(domain, maxDistance) is { } alike)
            {
                evidence.Add($"{alike.Domain} looks like {alike.Resembles} ({alike.Kind}{(alike.Kind == "edit-distance" ? $" {alike.Distance}" : "")})");
            }
        }

        return evidence.Count == 0 ? null : new Finding(string.Join("; ", evidence), evidence);
    }
}

/// <summary>
/// The sender says a file comes with the mail, and none does. By default the sender's own new text
/// is read for a promise of a file (<see cref="AttachmentPromise"/>: not negated, not about an
/// earlier mail, not a request for the recipient's); with <c>keywords</c>, any of those words
/// anywhere in the body is enough (the plain search of earlier versions).
/// </summary>
internal sealed class AttachmentMentionedCondition(string path, bool negate, IReadOnlyList<string>? keywords)
    : LeafCondition(path, ConditionTypes.AttachmentMentionedButMissing, negate)
{
    public override string Describe() => keywords is null
        ? "the sender says a file is attached but there is none"
        : $"the body mentions an attachment ([{List(keywords)}]) but there is none";

    protected override Finding? Test(EvaluationContext context)
    {
        if (context.Facts.Attachments.Count > 0)
        {
            return null;
        }

        if (keywords is null)
        {
            if (AttachmentPromise.Find(context.Facts.Text.NewText) is { } sentence)
            {
                return new Finding($"the sender writes \"{sentence}\" but the message has no attachment", [sentence]);
            }

            // A forward whose files did not come along: the forwarded header lists them, the mail has none.
            return AttachmentPromise.ForwardedAttachment(context.Facts.Text.Quoted) is { } listed
                ? new Finding($"the forwarded mail had attachments ({listed}) but this message has none", [listed])
                : null;
        }

        var body = context.Facts.NormalizedBody;
        var keyword = keywords.FirstOrDefault(k => body.Contains(k, StringComparison.Ordinal));
        return keyword is null ? null : new Finding($"the body says '{keyword}' but the message has no attachment", [keyword]);
    }
}

/// <summary>
/// The salutation (宛名) of mail to another company is wrong — no honorific, 御中 missing, 御中 and
/// 様 together, さん for a customer (<see cref="Salutation"/>) — or an external recipient's display
/// name appears in the first lines without an honorific.
/// </summary>
internal sealed class MissingHonorificCondition(string path, bool negate, int lines) : LeafCondition(path, ConditionTypes.MissingHonorific, negate)
{
    public override string Describe() => $"the salutation in the first {lines} lines lacks or misuses an honorific (様/殿/御中, Mr./Ms.)";

    protected override Finding? Test(EvaluationContext context)
    {
        var external = context.Facts.Recipients.Any(r => !context.IsInternal(r.Domain));
        var names = context.Facts.Recipients.Where(r => r.DisplayName is not null && !context.IsInternal(r.Domain)).Select(r => r.DisplayName!).ToList();
        var problems = Salutation.Check(context.Facts.Text.NewText, external, lines).Concat(EnglishSalutation.Check(context.Facts.Text.NewText, names)).ToList();
        var evidence = problems.Select(p => $"{p.Line}: {p.Reason}").ToList();
        if (names.Count > 0)
        {
            foreach (var missing in HonorificCheck.Find(context.Facts.Text.NewText, names, lines))
            {
                if (!problems.Any(p => p.Line == missing.Line))
                {
                    evidence.Add($"{missing.Line}: {missing.Name} に敬称がありません (no honorific after the recipient's name)");
                }
            }
        }

        return evidence.Count == 0 ? null : new Finding(problems.Count > 0 ? problems[0].Reason : "no honorific after a recipient's name", evidence);
    }
}

/// <summary>A confidentiality marking in the subject, the sender's new text, an attachment's name or its text (<see cref="ConfidentialMarkings"/>).</summary>
internal sealed class ConfidentialMarkingCondition(string path, bool negate, IReadOnlyList<string> markings)
    : LeafCondition(path, ConditionTypes.ConfidentialMarking, negate)
{
    public override string Describe() => $"the subject, body, an attachment's name or its text is marked confidential ([{List(markings)}])";

    protected override Finding? Test(EvaluationContext context)
    {
        var found = ConfidentialMarkings.Find(context.Facts.Subject, context.Facts.Text.NewText, context.Facts.Attachments.Select(a => a.FileName), markings,
            context.Facts.Attachments.Where(a => !a.EncryptedZip).Select(a => (a.FileName, a.Text)), context.Facts.Text.Quoted, context.IsInternal,
            domain => context.Facts.Recipients.Any(r => DomainMatch.Covers(domain.AsSpan(), r.Domain) || DomainMatch.Covers(r.Domain.AsSpan(), domain)));
        return found.Count == 0 ? null : new Finding(
            $"marked '{found[0].Marking}' in the {found[0].Where}",
            found.Select(f => $"{f.Where}: {f.Excerpt}").ToList());
    }
}

/// <summary>
/// The wrong person at a known company: an external address the sender has never written to, at
/// a domain they have written to at least <c>min</c> times (tanaka.j@partner.co.jp when they always
/// write to ichiro.tanaka@partner.co.jp). A domain new to the sender is the first-time-domain check's.
/// Not one the thread brought (the quoted mail's header or text has the address: the customer added
/// them in Cc), nor one a colleague on the mail has written to (a hand-over with the predecessor in Cc).
/// </summary>
internal sealed class FirstTimeAddressCondition(string path, bool negate, int min, FieldFilter fields)
    : LeafCondition(path, ConditionTypes.FirstTimeRecipientAddress, negate)
{
    public override string Describe() => $"an external {fields.Describe()[..^1]} is an address the sender has never written to, at a domain they have written to {min} or more times";

    protected override Finding? Test(EvaluationContext context)
    {
        var evidence = new List<string>();
        foreach (var recipient in fields.Of(context.Facts))
        {
            if (context.IsInternal(recipient.Domain) || context.Sender.MailsTo(recipient.Address) > 0
                || context.Sender.KnownToColleague(recipient.Address)
                || context.Facts.Text.Quoted.Contains(recipient.Address, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var toDomain = context.Sender.MailsToDomain(recipient.Domain);
            if (toDomain >= min)
            {
                var usual = context.Sender.UsualAt(recipient.Domain);
                evidence.Add($"{recipient.Address}: the sender has never written to this address, but {toDomain} times to {recipient.Domain}"
                    + (usual.Count > 0 ? $" (usually {string.Join(", ", usual)})" : ""));
            }
        }

        return evidence.Count == 0 ? null : new Finding($"a first-time address at a domain the sender writes to: {evidence[0]}", evidence);
    }
}

/// <summary>
/// Companies that do not belong in one mail: two external recipient domains this sender has never
/// had delivered together (another customer in Cc or Bcc of a customer's thread). A mailing whose
/// external recipients are all in Bcc is not a conversation and is not checked.
/// </summary>
internal sealed class UnusualDomainCombinationCondition(string path, bool negate)
    : LeafCondition(path, ConditionTypes.UnusualDomainCombination, negate)
{
    // A mail to more companies than this is a mailing (the Bcc rule's), not a thread that someone was added to.
    private const int MaxDomains = 10;

    public override string Describe() => "external recipient domains the sender has never mailed together";

    protected override Finding? Test(EvaluationContext context)
    {
        var external = context.Facts.Recipients.Where(r => !context.IsInternal(r.Domain)).ToList();
        if (!external.Any(r => r.Kind != Messages.RecipientKind.Bcc))
        {
            return null;
        }

        var domains = external.Select(r => r.Domain).Where(d => d.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).Take(MaxDomains).ToList();
        var evidence = new List<string>();
        for (var i = 0; i < domains.Count; i++)
        {
            for (var j = i + 1; j < domains.Count; j++)
            {
                if (!context.Sender.MailedTogether(domains[i], domains[j]))
                {
                    evidence.Add($"{domains[i]} and {domains[j]}: never in one mail from this sender");
                }
            }
        }

        return evidence.Count == 0 ? null : new Finding($"recipients of companies the sender has never mailed together: {evidence[0]}", evidence);
    }
}

/// <summary>
/// A mail or a file meant for another customer. The salutation, the subject or an attachment (its
/// file name, its first page's 御中 / 様 lines) names a company (株式会社クライアント, or only honoured:
/// 【クライアント様】) that the tenant's delivered mail greeted at other domains only (client.example)
/// and none of the message's external recipients is there; or it names a company with a legal
/// form (みなと銀行, 株式会社サンプル商事 on a supplier's quote) that none of the recipient's domains
/// has been greeted as, when those domains have been greeted as one to three other names (a shared
/// domain with more says nothing; a file's addressee only when the file is made out by someone —
/// its name says so, or its first page names another company — not a blank form of the tenant's); or it names in English a company (Global Parts Ltd.) whose
/// domain (globalparts.co.uk) the tenant mails and the message does not. A file whose name is made
/// out to the recipients' company is theirs, whatever other company it names.
/// </summary>
internal sealed class WrongCompanyCondition(string path, bool negate)
    : LeafCondition(path, ConditionTypes.WrongCompany, negate)
{
    public override string Describe() => "the salutation, the subject or an attachment names a company other than the recipients'";

    protected override Finding? Test(EvaluationContext context)
    {
        var domains = context.Facts.Recipients.Where(r => !context.IsInternal(r.Domain)).Select(r => r.Domain).Distinct(StringComparer.Ordinal).ToList();
        if (domains.Count == 0)
        {
            return null;
        }

        var to = string.Join(", ", domains.Take(3));
        var evidence = new List<string>();
        var recipientNames = domains.SelectMany(d => context.Companies.NamesAt.GetValueOrDefault(d) ?? []).ToList();
        bool Recipients(string key) => recipientNames.Any(n => n.Contains(key, StringComparison.Ordinal) || key.Contains(n, StringComparison.Ordinal))
            || (context.Companies.DomainsOf.TryGetValue(key, out var at) && domains.Any(d => at.Any(k => Related(k, d))));

        // A file whose name is made out to the recipients' company (検収書_株式会社クライアント様.pdf) is
        // theirs: another company on it is its issuer, or the one it goes back to once signed.
        var theirFiles = context.Facts.Attachments.Where(a => Salutation.AddressedCompanies(a.FileName, "").Any(c => Recipients(c.Key)))
            .Select(a => $"attachment {a.FileName}").ToHashSet(StringComparer.Ordinal);
        var named = context.Facts.SalutationCompanies.Select(c => (Company: c, Where: "宛名 (the salutation)", Issued: true))
            .Concat(context.Facts.DocumentCompanies.Where(d => !theirFiles.Contains(d.Where)));
        foreach (var (company, where, issued) in named)
        {
            if (context.Companies.DomainsOf.TryGetValue(company.Key, out var known) && known.Count > 0)
            {
                if (!domains.Any(d => known.Any(k => Related(k, d))))
                {
                    var at = string.Join(", ", known.Take(3));
                    evidence.Add($"{where}: 「{company.Key}」は {at} 宛のメールの会社名ですが、宛先は {to} です (a company known at {at}, the mail goes to {to})");
                }
            }
            else if (company.Certain && issued && GreetedOtherwise(context, domains, company.Key) is { } otherwise)
            {
                evidence.Add($"{where}: 宛先 {to} へのメールの宛名はこれまで「{otherwise}」で、「{company.Key}」ではありません (mail to {to} has greeted {otherwise}, never {company.Key})");
            }
        }

        // A file that names another customer and not the recipient's company at all (a drawing of theirs, their contract).
        foreach (var (file, mentioned) in context.Facts.DocumentMentions)
        {
            var theirs = theirFiles.Contains($"attachment {file}") || mentioned.Any(Recipients);
            var other = mentioned.FirstOrDefault(m => context.Companies.DomainsOf.TryGetValue(m, out var at) && at.Count > 0);
            if (!theirs && other is not null && !evidence.Any(e => e.StartsWith($"attachment {file}:", StringComparison.Ordinal)))
            {
                var at = string.Join(", ", context.Companies.DomainsOf[other].Take(3));
                evidence.Add($"attachment {file}: 「{other}」({at} の会社) の名前があり、宛先 {to} の会社の名前はありません (names a company known at {at}, not the recipients')");
            }
        }

        // A list that names the recipient's company among other customers (a receivables list sent for one of them).
        foreach (var (file, listed, english) in context.Facts.DocumentListings)
        {
            if (evidence.Any(e => e.StartsWith($"attachment {file}:", StringComparison.Ordinal)))
            {
                continue;
            }

            bool Theirs(string key) => Recipients(key);
            var others = listed.Where(k => !Theirs(k) && context.Companies.DomainsOf.TryGetValue(k, out var at) && at.Count > 0)
                .Concat(english.Where(k => !domains.Any(d => KnownDomainSet.LabelKey(d) == k) && context.Known.WithLabel(k).Any(d => !context.IsInternal(d))))
                .Distinct(StringComparer.Ordinal).ToList();
            var theirs = listed.Any(Theirs) || english.Any(k => domains.Any(d => KnownDomainSet.LabelKey(d) == k));
            if (theirs && others.Count > 0)
            {
                evidence.Add($"attachment {file}: 宛先の会社のほかに {string.Join("・", others.Take(3))} の名前が並んでいます (lists other customers beside the recipient's company)");
            }
        }

        foreach (var (name, key, where) in context.Facts.EnglishCompanies)
        {
            var at = context.Known.WithLabel(key).Where(d => !context.IsInternal(d)).ToList();
            if (at.Count > 0 && !domains.Any(d => at.Any(k => Related(k, d))) && !domains.Any(d => KnownDomainSet.LabelKey(d) == key))
            {
                var known = string.Join(", ", at.Take(3));
                evidence.Add($"{where}: 「{name}」は {known} の会社ですが、宛先は {to} です (the company at {known}, the mail goes to {to})");
            }
        }

        return evidence.Count == 0 ? null : new Finding(evidence[0], evidence.Distinct(StringComparer.Ordinal).ToList());
    }

    private static bool Related(string known, string domain) => DomainMatch.Covers(known.AsSpan(), domain) || DomainMatch.Covers(domain.AsSpan(), known);

    /// <summary>
    /// The names the recipients' domains were greeted as, when every one of them has a few and none
    /// is like <paramref name="company"/> (the same, or one inside the other: クライアント and
    /// クライアントソリューションズ); null when a domain is new, shared, or knows the name.
    /// </summary>
    private static string? GreetedOtherwise(EvaluationContext context, List<string> domains, string company)
    {
        var names = new List<string>();
        foreach (var domain in domains)
        {
            if (!context.Companies.NamesAt.TryGetValue(domain, out var at) || at.Count == 0 || at.Count > CompanyNames.MaxNamesPerDomain)
            {
                return null;
            }

            if (at.Any(n => n.Contains(company, StringComparison.Ordinal) || company.Contains(n, StringComparison.Ordinal)))
            {
                return null;
            }

            names.AddRange(at);
        }

        return string.Join("」「", names.Distinct(StringComparer.Ordinal).Take(3));
    }
}
