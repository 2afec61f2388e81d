using System.Text.RegularExpressions;
using System.Xml;
using SendGate.Core.Mime;
using SendGate.Core.Policies.Detectors;

namespace SendGate.Core.Policies;

internal abstract record CompiledAction(string Type);

internal sealed record RejectAction(string Reason) : CompiledAction(ActionTypes.Reject);

/// <param name="Notice">Mail the sender a hold notice that opens the mail on the console.</param>
internal sealed record HoldAction(string Mode, TimeSpan? Duration, bool Notice) : CompiledAction(ActionTypes.Hold);

internal sealed record ApprovalAction(string Route, TimeSpan Timeout, string OnTimeout, TimeSpan? ReminderBefore, bool Notice) : CompiledAction(ActionTypes.RequireApproval);

internal sealed record EncryptAction(
    string Method, string NameEncoding, string PasswordTo, TimeSpan PasswordDelay, string AlreadyEncrypted, bool SplitDelivery,
    int PasswordLength, string FileNameEncoding, bool Notice)
    : CompiledAction(ActionTypes.EncryptAttachments);

internal sealed record LinkAction(
    TimeSpan Expiry, int? MaxDownloadsPerFile, bool VerifyRecipient, bool PasswordMail, bool NotifySenderOnFirstDownload, bool ExemptInternalRecipients)
    : CompiledAction(ActionTypes.ReplaceAttachmentsWithLink);

internal sealed record BccAction(int Threshold, string ReplaceTo) : CompiledAction(ActionTypes.ConvertToBcc);

internal sealed record HeaderAction(string Name, string Value) : CompiledAction(ActionTypes.AddHeader);

internal sealed record TagAction(IReadOnlyList<string> Tags) : CompiledAction(ActionTypes.Tag);

internal sealed record CompiledScope(IReadOnlyList<string> Addresses, IReadOnlyList<string> Domains, IReadOnlyList<string> Groups);

internal sealed record CompiledRule(
    string Id, string Name, int Version, bool Enabled, CompiledScope? Scope, Condition? Conditions, IReadOnlyList<CompiledAction> Actions, bool StopProcessing);

/// <summary>A validated policy, ready to evaluate; immutable and shared by all requests of its version.</summary>
public sealed class CompiledPolicy
{
    internal CompiledPolicy(int version, PolicyDocument document, IReadOnlyList<CompiledRule> rules)
    {
        Version = version;
        Document = document;
        Rules = rules;
    }

    public int Version { get; }

    public PolicyDocument Document { get; }

    internal IReadOnlyList<CompiledRule> Rules { get; }

    /// <summary>True when some enabled rule needs the tenant's delivery history.</summary>
    public bool UsesDeliveryHistory => Document.Rules?.Any(r => r.Enabled != false && UsesHistory(r.Conditions)) == true;

    /// <summary>True when some enabled rule needs whom the sender has written to.</summary>
    public bool UsesSenderHistory => Document.Rules?.Any(r => r.Enabled != false && UsesSender(r.Conditions)) == true;

    /// <summary>True when some enabled rule needs which companies the tenant's mail greeted at which domain.</summary>
    public bool UsesCompanyNames => Document.Rules?.Any(r => r.Enabled != false && UsesNames(r.Conditions)) == true;

    private static bool UsesNames(ConditionSpec? c) => c is not null
        && (c.Type is ConditionTypes.WrongCompany || (c.All ?? []).Any(UsesNames) || (c.Any ?? []).Any(UsesNames));

    private static bool UsesSender(ConditionSpec? c) => c is not null
        && (c.Type is ConditionTypes.FirstTimeRecipientAddress or ConditionTypes.UnusualDomainCombination
            || (c.All ?? []).Any(UsesSender) || (c.Any ?? []).Any(UsesSender));

    private static bool UsesHistory(ConditionSpec? c) => c is not null
        && (c.Type is ConditionTypes.FirstTimeRecipientDomain or ConditionTypes.LookalikeDomain or ConditionTypes.WrongCompany
            || (c.All ?? []).Any(UsesHistory) || (c.Any ?? []).Any(UsesHistory));
}

/// <summary>
/// Validates a <see cref="PolicyDocument"/> (every problem, with the JSON path of the field) and
/// compiles it. Patterns run on .NET's non-backtracking engine: matching time grows linearly with
/// the text, so no pattern can stall the gateway (ReDoS); a timeout guards it anyway.
/// </summary>
public static partial class PolicyCompiler
{
    public const int MaxRules = 200;
    public const int MaxDepth = 3;
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan MaxHold = TimeSpan.FromDays(30);
    public static readonly TimeSpan MinLinkExpiry = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxLinkExpiry = TimeSpan.FromDays(93);
    public static readonly TimeSpan DefaultLinkExpiry = TimeSpan.FromDays(7);
    public const int MaxDownloadsLimit = 1000;

    private static readonly string[] Fields = ["to", "cc", "bcc"];

    // Set by their own fields or by the delivery itself; a rule must not forge them.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Return-Path", "Received",
    };

    public static (CompiledPolicy? Policy, IReadOnlyList<Violation> Violations) Compile(PolicyDocument document, int version)
    {
        var violations = new List<Violation>();
        var rules = new List<CompiledRule>();
        var specs = document.Rules ?? [];
        if (document.Rules is null)
        {
            violations.Add(new("rules", PolicyViolation.InvalidRule, "rules is required (an empty list is a policy that lets everything through)."));
        }

        if (specs.Count > MaxRules)
        {
            violations.Add(new("rules", PolicyViolation.InvalidRule, $"A policy has at most {MaxRules} rules; this one has {specs.Count}."));
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < specs.Count; i++)
        {
            if (CompileRule(specs[i], $"rules[{i}]", version, violations) is { } rule)
            {
                if (!ids.Add(rule.Id))
                {
                    violations.Add(new($"rules[{i}].id", PolicyViolation.InvalidRule, $"Rule id '{rule.Id}' appears more than once."));
                }

                rules.Add(rule);
            }
        }

        return violations.Count > 0 ? (null, violations) : (new CompiledPolicy(version, document, rules), violations);
    }

    /// <summary>Validates one rule on its own (the rule endpoints report its fields without the <c>rules[i]</c> prefix).</summary>
    public static IReadOnlyList<Violation> Validate(RuleSpec rule, string path)
    {
        var violations = new List<Violation>();
        CompileRule(rule, path, 0, violations);
        return violations;
    }

    public static string NewRuleId() => $"rul_{Guid.CreateVersion7():N}";

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,64}$")]
    public static partial Regex RuleIdFormat();

    private static CompiledRule? CompileRule(RuleSpec spec, string path, int version, List<Violation> violations)
    {
        var count = violations.Count;
        var prefix = path.Length == 0 ? "" : path + ".";
        if (spec.Id is not null && !RuleIdFormat().IsMatch(spec.Id))
        {
            violations.Add(new(prefix + "id", PolicyViolation.InvalidRule, "A rule id is 1 to 64 letters, digits or _ . : -"));
        }

        if (string.IsNullOrWhiteSpace(spec.Name) || spec.Name.Length > 200)
        {
            violations.Add(new(prefix + "name", PolicyViolation.InvalidRule, "Every rule needs a name of 1 to 200 characters."));
        }

        if (spec.Description is { Length: > 2000 })
        {
            violations.Add(new(prefix + "description", PolicyViolation.InvalidRule, "description is at most 2000 characters."));
        }

        CompiledScope? scope = null;
        if (spec.Senders is { } senders)
        {
            scope = new CompiledScope(Lower(senders.Addresses), Domains(senders.Domains, prefix + "senders.domains", violations), senders.Groups ?? []);
            CheckAddresses(senders.Addresses, prefix + "senders.addresses", violations);
            if (scope.Addresses.Count + scope.Domains.Count + scope.Groups.Count == 0)
            {
                violations.Add(new(prefix + "senders", PolicyViolation.InvalidRule, "senders needs at least one address, domain or group (leave it out to apply to every sender)."));
            }
        }

        Condition? conditions = null;
        if (spec.Conditions is { } root)
        {
            if (root.Type is not null || (root.All is null == (root.Any is null)))
            {
                violations.Add(new(prefix + "conditions", PolicyViolation.InvalidCondition,
                    "conditions is a group: an object with either \"all\" or \"any\" holding a list of conditions."));
            }
            else
            {
                conditions = CompileCondition(root, prefix + "conditions", 1, violations);
            }
        }

        var actions = new List<CompiledAction>();
        if (spec.Actions is not { Count: > 0 })
        {
            violations.Add(new(prefix + "actions", PolicyViolation.InvalidAction, "A rule needs at least one action."));
        }
        else
        {
            for (var i = 0; i < spec.Actions.Count; i++)
            {
                if (CompileAction(spec.Actions[i], $"{prefix}actions[{i}]", violations) is { } action)
                {
                    actions.Add(action);
                }
            }
        }

        return violations.Count > count
            ? null
            : new CompiledRule(spec.Id ?? "", spec.Name!.Trim(), spec.Version ?? version, spec.Enabled ?? true, scope, conditions, actions, spec.StopProcessing ?? false);
    }

    private static Condition? CompileCondition(ConditionSpec spec, string path, int depth, List<Violation> violations)
    {
        if (spec.All is not null || spec.Any is not null)
        {
            if (spec.Negate is not null)
            {
                // Silently ignoring it would make the rule match in exactly the opposite case.
                violations.Add(new($"{path}.negate", PolicyViolation.InvalidCondition,
                    "negate applies to single conditions; to negate a group, negate each of its conditions and swap all and any."));
                return null;
            }

            if (spec.Type is not null || (spec.All is not null && spec.Any is not null) || Parameters(spec).Any())
            {
                violations.Add(new(path, PolicyViolation.InvalidCondition, "A group has either \"all\" or \"any\" and nothing else."));
                return null;
            }

            if (depth > MaxDepth)
            {
                violations.Add(new(path, PolicyViolation.InvalidCondition, $"Groups nest at most {MaxDepth} levels deep."));
                return null;
            }

            var (kind, list) = spec.All is not null ? ("all", spec.All) : ("any", spec.Any!);
            if (list.Count == 0)
            {
                violations.Add(new($"{path}.{kind}", PolicyViolation.InvalidCondition, $"\"{kind}\" needs at least one condition."));
                return null;
            }

            var children = new List<Condition>();
            for (var i = 0; i < list.Count; i++)
            {
                if (CompileCondition(list[i], $"{path}.{kind}[{i}]", depth + 1, violations) is { } child)
                {
                    children.Add(child);
                }
            }

            return children.Count != list.Count ? null : kind == "all" ? new AllCondition(path, children) : new AnyCondition(path, children);
        }

        if (spec.Type is null || !ConditionTypes.Parameters.TryGetValue(spec.Type, out var allowed))
        {
            violations.Add(new($"{path}.type", PolicyViolation.UnknownCondition,
                $"Unknown condition type '{spec.Type}'. Known: {string.Join(", ", ConditionTypes.Parameters.Keys)} (or a group with all/any)."));
            return null;
        }

        var start = violations.Count;
        foreach (var parameter in Parameters(spec).Where(p => !allowed.Contains(p)))
        {
            violations.Add(new($"{path}.{parameter}", PolicyViolation.InvalidCondition,
                $"'{parameter}' does not apply to {spec.Type}; it takes {(allowed.Length == 0 ? "no parameters" : string.Join(", ", allowed))}."));
        }

        var negate = spec.Negate ?? false;
        var fields = FieldsOf(spec.Fields, $"{path}.fields", violations);
        Condition? condition = spec.Type switch
        {
            ConditionTypes.RecipientDomain => RecipientDomain(spec, path, negate, fields, violations),
            ConditionTypes.ExternalRecipients => new ExternalRecipientsCondition(path, negate, Count(spec.Min, 1, $"{path}.min", violations), fields),
            ConditionTypes.RecipientCount => new RecipientCountCondition(path, negate, Count(spec.Min, null, $"{path}.min", violations), fields),
            ConditionTypes.Sender => Sender(spec, path, negate, violations),
            ConditionTypes.Subject => Text(spec, path, violations) is { } m ? new SubjectCondition(path, negate, m) : null,
            ConditionTypes.Body => Text(spec, path, violations) is { } m ? new BodyCondition(path, negate, m) : null,
            ConditionTypes.Header => Header(spec, path, negate, violations),
            ConditionTypes.AttachmentCount => AttachmentCount(spec, path, negate, violations),
            ConditionTypes.Attachment => Attachment(spec, path, negate, violations),
            // The detectors report at most 10 findings in the subject and 10 in the body.
            ConditionTypes.CreditCard => new CreditCardCondition(path, negate, Range(spec.Min ?? 1, 1, 20, $"{path}.min", violations)),
            ConditionTypes.MyNumber => new MyNumberCondition(path, negate, Range(spec.Min ?? 1, 1, 20, $"{path}.min", violations)),
            ConditionTypes.FirstTimeRecipientDomain => new FirstTimeDomainCondition(path, negate, fields),
            ConditionTypes.LookalikeDomain => Lookalike(spec, path, negate, fields, violations),
            ConditionTypes.AttachmentMentionedButMissing => new AttachmentMentionedCondition(path, negate,
                spec.Keywords is null ? null : Keywords(spec.Keywords, $"{path}.keywords", violations)),
            ConditionTypes.MissingHonorific => new MissingHonorificCondition(path, negate, Range(spec.Lines ?? 5, 1, 50, $"{path}.lines", violations)),
            ConditionTypes.FirstTimeRecipientAddress => new FirstTimeAddressCondition(path, negate, Range(spec.Min ?? 2, 1, 1000, $"{path}.min", violations), fields),
            ConditionTypes.UnusualDomainCombination => new UnusualDomainCombinationCondition(path, negate),
            ConditionTypes.WrongCompany => new WrongCompanyCondition(path, negate),
            ConditionTypes.ConfidentialMarking => new ConfidentialMarkingCondition(path, negate,
                spec.Keywords is null ? ConfidentialMarkings.Default : Keywords(spec.Keywords, $"{path}.keywords", violations)),
            _ => null,
        };
        return violations.Count > start ? null : condition;
    }

    private static Condition? RecipientDomain(ConditionSpec spec, string path, bool negate, FieldFilter fields, List<Violation> violations)
    {
        if (spec.Domains is not { Count: > 0 })
        {
            violations.Add(new($"{path}.domains", PolicyViolation.InvalidCondition, "recipientDomain needs a list of domains."));
        }

        if (spec.Match is not (null or "in" or "notIn"))
        {
            violations.Add(new($"{path}.match", PolicyViolation.InvalidCondition, "match is \"in\" (default) or \"notIn\"."));
        }

        return new RecipientDomainCondition(path, negate, Domains(spec.Domains, $"{path}.domains", violations), spec.Match == "notIn", fields);
    }

    private static Condition? Sender(ConditionSpec spec, string path, bool negate, List<Violation> violations)
    {
        if ((spec.Addresses?.Count ?? 0) + (spec.Domains?.Count ?? 0) + (spec.Groups?.Count ?? 0) == 0)
        {
            violations.Add(new(path, PolicyViolation.InvalidCondition, "sender needs addresses, domains or groups."));
        }

        CheckAddresses(spec.Addresses, $"{path}.addresses", violations);
        return new SenderCondition(path, negate, Lower(spec.Addresses), Domains(spec.Domains, $"{path}.domains", violations), spec.Groups ?? []);
    }

    private static TextMatcher? Text(ConditionSpec spec, string path, List<Violation> violations)
    {
        if (spec.Contains is null && spec.Pattern is null)
        {
            violations.Add(new(path, PolicyViolation.InvalidCondition, $"{spec.Type} needs \"contains\" (keywords) or \"pattern\" (a regular expression)."));
            return null;
        }

        var keywords = spec.Contains is null ? [] : Keywords(spec.Contains, $"{path}.contains", violations);
        var pattern = spec.Pattern is null ? null : Pattern(spec.Pattern, $"{path}.pattern", violations);
        return new TextMatcher(keywords, pattern, spec.Pattern);
    }

    private static Condition? Header(ConditionSpec spec, string path, bool negate, List<Violation> violations)
    {
        if (string.IsNullOrWhiteSpace(spec.Name) || spec.Name.Any(c => c is < '!' or > '~' or ':'))
        {
            violations.Add(new($"{path}.name", PolicyViolation.InvalidCondition, "header needs the header's name (printable ASCII, no colon)."));
            return null;
        }

        var matcher = spec.Contains is null && spec.Pattern is null ? null : Text(spec, path, violations);
        return new HeaderCondition(path, negate, spec.Name, matcher);
    }

    private static Condition? AttachmentCount(ConditionSpec spec, string path, bool negate, List<Violation> violations)
    {
        if (spec.Min is null && spec.Max is null)
        {
            violations.Add(new(path, PolicyViolation.InvalidCondition, "attachmentCount needs min and/or max (min 1: has attachments; max 0: has none)."));
        }

        if (spec.Min is < 0 || spec.Max is < 0 || (spec.Min > spec.Max))
        {
            violations.Add(new(path, PolicyViolation.InvalidCondition, "min and max are whole numbers ≥ 0, with min ≤ max."));
        }

        return new AttachmentCountCondition(path, negate, spec.Min, spec.Max);
    }

    private static Condition? Attachment(ConditionSpec spec, string path, bool negate, List<Violation> violations)
    {
        if (spec.MinSize is < 0 || spec.MaxSize is < 0 || spec.MinSize > spec.MaxSize)
        {
            violations.Add(new(path, PolicyViolation.InvalidCondition, "minSize and maxSize are byte counts ≥ 0, with minSize ≤ maxSize."));
        }

        var types = Lower(spec.ContentTypes);
        for (var i = 0; i < types.Count; i++)
        {
            if (!types[i].Contains('/', StringComparison.Ordinal))
            {
                violations.Add(new($"{path}.contentTypes[{i}]", PolicyViolation.InvalidCondition, $"'{types[i]}' is not a media type such as application/pdf or image/*."));
            }
        }

        var extensions = Lower(spec.Extensions).Select(e => e.TrimStart('.')).ToList();
        var pattern = spec.NamePattern is null ? null : Pattern(spec.NamePattern, $"{path}.namePattern", violations);
        return new AttachmentCondition(path, negate, extensions, types, spec.MinSize, spec.MaxSize, pattern, spec.NamePattern, spec.EncryptedZip);
    }

    private static Condition? Lookalike(ConditionSpec spec, string path, bool negate, FieldFilter fields, List<Violation> violations) =>
        new LookalikeDomainCondition(path, negate, Range(spec.MaxDistance ?? 2, 1, 3, $"{path}.maxDistance", violations), fields);

    private static CompiledAction? CompileAction(ActionSpec spec, string path, List<Violation> violations)
    {
        if (spec.Type is null || !ActionTypes.Parameters.TryGetValue(spec.Type, out var allowed))
        {
            violations.Add(new($"{path}.type", PolicyViolation.UnknownAction,
                $"Unknown action type '{spec.Type}'. Known: {string.Join(", ", ActionTypes.Parameters.Keys)}."));
            return null;
        }

        var start = violations.Count;
        foreach (var parameter in Parameters(spec).Where(p => !allowed.Contains(p)))
        {
            violations.Add(new($"{path}.{parameter}", PolicyViolation.InvalidAction, $"'{parameter}' does not apply to {spec.Type}; it takes {string.Join(", ", allowed)}."));
        }

        CompiledAction? action = spec.Type switch
        {
            ActionTypes.Reject => string.IsNullOrWhiteSpace(spec.Reason) || spec.Reason.Length > 1000
                ? Fail(violations, $"{path}.reason", PolicyViolation.InvalidAction, "reject needs a reason (1 to 1000 characters): the sender sees it.")
                : new RejectAction(spec.Reason.Trim()),
            ActionTypes.Hold => Hold(spec, path, violations),
            ActionTypes.RequireApproval => Approval(spec, path, violations),
            ActionTypes.EncryptAttachments => Encrypt(spec, path, violations),
            ActionTypes.ReplaceAttachmentsWithLink => Link(spec, path, violations),
            ActionTypes.ConvertToBcc => spec.Threshold is not (>= 1 and <= 10_000)
                ? Fail(violations, $"{path}.threshold", PolicyViolation.InvalidAction, "convertToBcc needs threshold: the number of external To/Cc recipients (≥ 1) from which they move to Bcc.")
                : OneOf(spec.ReplaceTo, "undisclosed", ["undisclosed", "sender"], $"{path}.replaceTo", violations) is { } replaceTo ? new BccAction(spec.Threshold.Value, replaceTo) : null,
            ActionTypes.AddHeader => AddHeader(spec, path, violations),
            ActionTypes.Tag => spec.Tags is not { Count: > 0 } || spec.Tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > 64 || t.Any(char.IsControl))
                ? Fail(violations, $"{path}.tags", PolicyViolation.InvalidAction, "tag needs tags: a list of 1 to 64-character labels.")
                : new TagAction(spec.Tags.Select(t => t.Trim()).ToList()),
            _ => null,
        };
        return violations.Count > start ? null : action;
    }

    private static CompiledAction? Hold(ActionSpec spec, string path, List<Violation> violations)
    {
        var mode = OneOf(spec.Mode, HoldModes.AutoRelease, HoldModes.All, $"{path}.mode", violations);
        if (mode == HoldModes.Review)
        {
            if (spec.Duration is not null)
            {
                violations.Add(new($"{path}.duration", PolicyViolation.InvalidAction, "A review hold lasts until someone releases or cancels the message; it takes no duration."));
            }

            return new HoldAction(mode, null, spec.Notice ?? true);
        }

        if (spec.Duration is null)
        {
            violations.Add(new($"{path}.duration", PolicyViolation.InvalidDuration, $"A {mode ?? "hold"} hold needs a duration, e.g. \"PT5M\"."));
            return null;
        }

        var duration = Duration(spec.Duration, $"{path}.duration", violations, allowZero: false, max: MaxHold);
        // A short automatic hold tells nobody unless asked; a hold that needs the sender does.
        return mode is null || duration is null ? null : new HoldAction(mode, duration, spec.Notice ?? mode == HoldModes.SelfAudit);
    }

    private static CompiledAction? Approval(ActionSpec spec, string path, List<Violation> violations)
    {
        var route = spec.Route ?? "default";
        if (route.Length is 0 or > 100 || route.Any(char.IsControl))
        {
            violations.Add(new($"{path}.route", PolicyViolation.InvalidAction, "route is the name of an approval route (1 to 100 characters)."));
        }

        var timeout = spec.Timeout is null ? TimeSpan.FromDays(1) : Duration(spec.Timeout, $"{path}.timeout", violations, allowZero: false, max: MaxHold);
        var onTimeout = OneOf(spec.OnTimeout, "reject", ["reject", "release", "escalate"], $"{path}.onTimeout", violations);
        var reminder = spec.ReminderBefore is null ? null : Duration(spec.ReminderBefore, $"{path}.reminderBefore", violations, allowZero: false, max: MaxHold);
        if (reminder is not null && timeout is not null && reminder >= timeout)
        {
            violations.Add(new($"{path}.reminderBefore", PolicyViolation.InvalidDuration, "reminderBefore must be shorter than the timeout."));
        }

        return timeout is null || onTimeout is null ? null : new ApprovalAction(route, timeout.Value, onTimeout, reminder, spec.Notice ?? false);
    }

    private static CompiledAction? Encrypt(ActionSpec spec, string path, List<Violation> violations)
    {
        var method = OneOf(spec.Method, "zipCrypto", ["zipCrypto", "aes256"], $"{path}.method", violations);
        var names = OneOf(spec.NameEncoding, "utf8", ["utf8", "cp932"], $"{path}.nameEncoding", violations);
        var to = OneOf(spec.PasswordTo, "recipients", ["recipients", "sender"], $"{path}.passwordTo", violations);
        var already = OneOf(spec.AlreadyEncrypted, "passThrough", ["passThrough", "encrypt"], $"{path}.alreadyEncrypted", violations);
        var delay = spec.PasswordDelay is null ? TimeSpan.FromMinutes(5) : Duration(spec.PasswordDelay, $"{path}.passwordDelay", violations, allowZero: true, max: TimeSpan.FromDays(1));
        var fileNames = OneOf(spec.FileNameEncoding, "rfc2231", ["rfc2231", "rfc2047"], $"{path}.fileNameEncoding", violations);
        var length = spec.PasswordLength ?? 12;
        if (length is < 12 or > 64)
        {
            violations.Add(new($"{path}.passwordLength", PolicyViolation.InvalidAction, "passwordLength is 12 to 64 characters."));
        }

        return method is null || names is null || to is null || already is null || delay is null || fileNames is null
            ? null
            : new EncryptAction(method, names, to, delay.Value, already, spec.SplitDelivery ?? false, length, fileNames, spec.Notice ?? false);
    }

    private static CompiledAction? Link(ActionSpec spec, string path, List<Violation> violations)
    {
        var expiry = DefaultLinkExpiry;
        if (spec.Expiry is not null)
        {
            if (Duration(spec.Expiry, $"{path}.expiry", violations, allowZero: false, max: MaxLinkExpiry) is not { } chosen)
            {
                return null;
            }

            if (chosen < MinLinkExpiry)
            {
                return Fail(violations, $"{path}.expiry", PolicyViolation.InvalidDuration, $"'{spec.Expiry}' is shorter than the minimum of one hour (PT1H).");
            }

            expiry = chosen;
        }

        if (spec.MaxDownloadsPerFile is < 1 or > MaxDownloadsLimit)
        {
            return Fail(violations, $"{path}.maxDownloadsPerFile", PolicyViolation.InvalidAction,
                $"maxDownloadsPerFile is a whole number from 1 to {MaxDownloadsLimit} (leave it out for no limit).");
        }

        return new LinkAction(expiry, spec.MaxDownloadsPerFile, spec.VerifyRecipient ?? true, spec.PasswordMail ?? false,
            spec.NotifySenderOnFirstDownload ?? false, spec.ExemptInternalRecipients ?? false);
    }

    private static CompiledAction? AddHeader(ActionSpec spec, string path, List<Violation> violations)
    {
        if (string.IsNullOrWhiteSpace(spec.Name) || spec.Name.Length > 76 || spec.Name.Any(c => c is < '!' or > '~' or ':'))
        {
            return Fail(violations, $"{path}.name", PolicyViolation.InvalidAction, "addHeader needs a header name (printable ASCII, no colon, at most 76 characters).");
        }

        if (ReservedHeaders.Contains(spec.Name) || spec.Name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)
            || spec.Name.StartsWith("Resent-", StringComparison.OrdinalIgnoreCase))
        {
            return Fail(violations, $"{path}.name", PolicyViolation.InvalidAction, $"'{spec.Name}' is set by the message itself; a rule cannot add it.");
        }

        if (spec.Value is null || spec.Value.Length > 900 || spec.Value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            return Fail(violations, $"{path}.value", ViolationCode.HeaderInjection, "addHeader needs a value of at most 900 characters without CR or LF.");
        }

        return new HeaderAction(spec.Name, spec.Value);
    }

    private static Regex? Pattern(string pattern, string field, List<Violation> violations)
    {
        if (pattern.Length is 0 or > 1000)
        {
            violations.Add(new(field, PolicyViolation.InvalidPattern, "A pattern is 1 to 1000 characters."));
            return null;
        }

        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, PatternTimeout);
        }
        catch (NotSupportedException)
        {
            // The engine's message names its own options type and construct names; say it in the rule author's terms.
            violations.Add(new(field, PolicyViolation.InvalidPattern,
                "The pattern uses a construct that is not supported: patterns are matched in time linear in the text, so backreferences, lookarounds, atomic groups and conditionals are not allowed."));
        }
        catch (RegexParseException ex)
        {
            violations.Add(new(field, PolicyViolation.InvalidPattern, $"Not a valid regular expression: {ParseError(ex)} at position {ex.Offset}."));
        }
        catch (ArgumentException)
        {
            violations.Add(new(field, PolicyViolation.InvalidPattern, "Not a valid regular expression."));
        }

        return null;
    }

    private static string ParseError(RegexParseException ex) => ex.Error switch
    {
        RegexParseError.InsufficientClosingParentheses => "a '(' is not closed",
        RegexParseError.InsufficientOpeningParentheses => "a ')' has no '('",
        RegexParseError.UnterminatedBracket => "a '[' is not closed",
        RegexParseError.QuantifierAfterNothing => "a quantifier (*, +, ?, {n}) follows nothing",
        RegexParseError.NestedQuantifiersNotParenthesized => "two quantifiers follow each other",
        RegexParseError.UnescapedEndingBackslash => "the pattern ends in a lone '\\'",
        RegexParseError.ReversedCharacterRange => "a range in [...] runs backwards",
        RegexParseError.ReversedQuantifierRange => "a {n,m} has n greater than m",
        RegexParseError.UnrecognizedEscape => "an escape sequence is unknown",
        RegexParseError.InvalidUnicodePropertyEscape or RegexParseError.UnrecognizedUnicodeProperty => "a \\p{...} names no Unicode category",
        _ => "the pattern does not parse",
    };

    /// <summary>ISO 8601 durations (<c>PT5M</c>, <c>PT4H</c>, <c>P1D</c>).</summary>
    public static TimeSpan? Duration(string value, string field, List<Violation> violations, bool allowZero, TimeSpan max)
    {
        TimeSpan duration;
        try
        {
            duration = XmlConvert.ToTimeSpan(value.Trim());
        }
        catch (FormatException)
        {
            violations.Add(new(field, PolicyViolation.InvalidDuration, $"'{value}' is not an ISO 8601 duration such as PT5M, PT4H or P1D."));
            return null;
        }
        catch (OverflowException)
        {
            violations.Add(new(field, PolicyViolation.InvalidDuration, $"'{value}' is too long."));
            return null;
        }

        if (duration < TimeSpan.Zero || (!allowZero && duration == TimeSpan.Zero))
        {
            violations.Add(new(field, PolicyViolation.InvalidDuration, $"'{value}' must be {(allowZero ? "zero or positive" : "positive")}."));
            return null;
        }

        if (duration > max)
        {
            violations.Add(new(field, PolicyViolation.InvalidDuration, $"'{value}' is longer than the maximum of {max.TotalDays:0} days."));
            return null;
        }

        return duration;
    }

    private static CompiledAction? Fail(List<Violation> violations, string field, string code, string message)
    {
        violations.Add(new(field, code, message));
        return null;
    }

    private static string? OneOf(string? value, string fallback, string[] allowed, string field, List<Violation> violations)
    {
        var chosen = value ?? fallback;
        if (allowed.Contains(chosen, StringComparer.Ordinal))
        {
            return chosen;
        }

        violations.Add(new(field, PolicyViolation.InvalidAction, $"'{value}' is not one of {string.Join(", ", allowed)}."));
        return null;
    }

    private static int Count(int? value, int? fallback, string field, List<Violation> violations)
    {
        if ((value ?? fallback) is not { } n)
        {
            violations.Add(new(field, PolicyViolation.InvalidCondition, "min is required."));
            return 0;
        }

        return Range(n, 1, 100_000, field, violations);
    }

    private static int Range(int value, int least, int most, string field, List<Violation> violations)
    {
        if (value < least || value > most)
        {
            violations.Add(new(field, PolicyViolation.InvalidCondition, $"must be a whole number from {least} to {most}."));
        }

        return value;
    }

    private static FieldFilter FieldsOf(IReadOnlyList<string>? fields, string path, List<Violation> violations)
    {
        if (fields is null)
        {
            return FieldFilter.All;
        }

        var unknown = fields.Where(f => !Fields.Contains(f, StringComparer.OrdinalIgnoreCase)).ToList();
        if (fields.Count == 0 || unknown.Count > 0)
        {
            violations.Add(new(path, PolicyViolation.InvalidCondition, "fields is a non-empty list of to, cc and bcc."));
        }

        bool Has(string f) => fields.Contains(f, StringComparer.OrdinalIgnoreCase);
        return new FieldFilter(Has("to"), Has("cc"), Has("bcc"));
    }

    private static IReadOnlyList<string> Keywords(IReadOnlyList<string> keywords, string field, List<Violation> violations)
    {
        if (keywords.Count == 0 || keywords.Any(string.IsNullOrWhiteSpace))
        {
            violations.Add(new(field, PolicyViolation.InvalidCondition, "Keywords are a non-empty list of non-empty strings."));
        }

        // Compared with the normalised text, so they are normalised the same way (ｔｅｓｔ finds test).
        return keywords.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => TextNormalizer.Normalize(k.Trim())).Distinct(StringComparer.Ordinal).ToList();
    }

    private static IReadOnlyList<string> Domains(IReadOnlyList<string>? domains, string field, List<Violation> violations)
    {
        var result = Lower(domains).Select(d => d.TrimStart('@').TrimEnd('.')).ToList();
        for (var i = 0; i < result.Count; i++)
        {
            if (!IsDomain(result[i]))
            {
                violations.Add(new($"{field}[{i}]", PolicyViolation.InvalidCondition, $"'{result[i]}' is not a domain name."));
            }
        }

        return result;
    }

    public static bool IsDomain(string domain) =>
        domain.Length is > 0 and <= 253 && !domain.StartsWith('.') && !domain.Contains("..", StringComparison.Ordinal)
        && domain.All(c => char.IsLetterOrDigit(c) || c is '-' or '.');

    private static void CheckAddresses(IReadOnlyList<string>? addresses, string field, List<Violation> violations)
    {
        for (var i = 0; i < (addresses?.Count ?? 0); i++)
        {
            var a = addresses![i];
            var at = a.LastIndexOf('@');
            if (at <= 0 || at == a.Length - 1 || a.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                violations.Add(new($"{field}[{i}]", PolicyViolation.InvalidCondition, $"'{a}' is not an e-mail address."));
            }
        }
    }

    private static IReadOnlyList<string> Lower(IReadOnlyList<string>? values) =>
        values is null ? [] : values.Select(v => v.Trim().ToLowerInvariant()).ToList();

    private static IEnumerable<string> Parameters(ConditionSpec c)
    {
        if (c.Fields is not null) yield return "fields";
        if (c.Domains is not null) yield return "domains";
        if (c.Match is not null) yield return "match";
        if (c.Min is not null) yield return "min";
        if (c.Max is not null) yield return "max";
        if (c.Addresses is not null) yield return "addresses";
        if (c.Groups is not null) yield return "groups";
        if (c.Contains is not null) yield return "contains";
        if (c.Pattern is not null) yield return "pattern";
        if (c.Name is not null) yield return "name";
        if (c.Extensions is not null) yield return "extensions";
        if (c.ContentTypes is not null) yield return "contentTypes";
        if (c.MinSize is not null) yield return "minSize";
        if (c.MaxSize is not null) yield return "maxSize";
        if (c.NamePattern is not null) yield return "namePattern";
        if (c.EncryptedZip is not null) yield return "encryptedZip";
        if (c.Keywords is not null) yield return "keywords";
        if (c.MaxDistance is not null) yield return "maxDistance";
        if (c.Lines is not null) yield return "lines";
    }

    private static IEnumerable<string> Parameters(ActionSpec a)
    {
        if (a.Reason is not null) yield return "reason";
        if (a.Duration is not null) yield return "duration";
        if (a.Mode is not null) yield return "mode";
        if (a.Route is not null) yield return "route";
        if (a.Timeout is not null) yield return "timeout";
        if (a.OnTimeout is not null) yield return "onTimeout";
        if (a.ReminderBefore is not null) yield return "reminderBefore";
        if (a.Method is not null) yield return "method";
        if (a.NameEncoding is not null) yield return "nameEncoding";
        if (a.PasswordTo is not null) yield return "passwordTo";
        if (a.PasswordDelay is not null) yield return "passwordDelay";
        if (a.AlreadyEncrypted is not null) yield return "alreadyEncrypted";
        if (a.SplitDelivery is not null) yield return "splitDelivery";
        if (a.PasswordLength is not null) yield return "passwordLength";
        if (a.FileNameEncoding is not null) yield return "fileNameEncoding";
        if (a.Notice is not null) yield return "notice";
        if (a.Expiry is not null) yield return "expiry";
        if (a.MaxDownloadsPerFile is not null) yield return "maxDownloadsPerFile";
        if (a.VerifyRecipient is not null) yield return "verifyRecipient";
        if (a.PasswordMail is not null) yield return "passwordMail";
        if (a.NotifySenderOnFirstDownload is not null) yield return "notifySenderOnFirstDownload";
        if (a.ExemptInternalRecipients is not null) yield return "exemptInternalRecipients";
        if (a.Threshold is not null) yield return "threshold";
        if (a.ReplaceTo is not null) yield return "replaceTo";
        if (a.Name is not null) yield return "name";
        if (a.Value is not null) yield return "value";
        if (a.Tags is not null) yield return "tags";
    }
}

/// <summary>Stable codes of policy validation problems (field errors of a 400).</summary>
public static class PolicyViolation
{
    public const string InvalidRule = "invalid-rule";
    public const string InvalidCondition = "invalid-condition";
    public const string UnknownCondition = "unknown-condition";
    public const string InvalidAction = "invalid-action";
    public const string UnknownAction = "unknown-action";
    public const string InvalidPattern = "invalid-pattern";
    public const string InvalidDuration = "invalid-duration";
}
