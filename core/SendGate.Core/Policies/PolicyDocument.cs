namespace SendGate.Core.Policies;

/// <summary>
/// A tenant's policy as data: an ordered list of rules. This is the JSON that admins edit,
/// export and import; <see cref="PolicyCompiler"/> validates it and turns it into something fast.
/// </summary>
public sealed record PolicyDocument
{
    /// <summary>Read-only on import: the version this document was exported from.</summary>
    public int? Version { get; init; }

    /// <summary>Read-only on import.</summary>
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Read-only on import.</summary>
    public string? UpdatedBy { get; init; }

    public IReadOnlyList<RuleSpec>? Rules { get; init; }
}

public sealed record RuleSpec
{
    /// <summary>Stable across versions; assigned when a rule is created without one.</summary>
    public string? Id { get; init; }

    /// <summary>Read-only: the policy version in which this rule last changed.</summary>
    public int? Version { get; init; }

    public string? Name { get; init; }
    public string? Description { get; init; }
    public bool? Enabled { get; init; }

    /// <summary>Only mail from these senders is considered; all senders when absent.</summary>
    public SenderScope? Senders { get; init; }

    /// <summary>An <c>all</c> or <c>any</c> group; absent means every message matches.</summary>
    public ConditionSpec? Conditions { get; init; }

    public IReadOnlyList<ActionSpec>? Actions { get; init; }

    /// <summary>When this rule matches, later rules are not evaluated.</summary>
    public bool? StopProcessing { get; init; }
}

public sealed record SenderScope
{
    public IReadOnlyList<string>? Addresses { get; init; }
    public IReadOnlyList<string>? Domains { get; init; }
    public IReadOnlyList<string>? Groups { get; init; }
}

/// <summary>
/// Either a group (<see cref="All"/> or <see cref="Any"/>) or a leaf with a <see cref="Type"/>; the
/// other members are the leaf's parameters, each allowed only for the types that use it (see
/// <see cref="ConditionTypes"/>).
/// </summary>
public sealed record ConditionSpec
{
    public IReadOnlyList<ConditionSpec>? All { get; init; }
    public IReadOnlyList<ConditionSpec>? Any { get; init; }

    public string? Type { get; init; }

    /// <summary>Inverts the leaf: it matches when its test does not.</summary>
    public bool? Negate { get; init; }

    public IReadOnlyList<string>? Fields { get; init; }
    public IReadOnlyList<string>? Domains { get; init; }

    /// <summary><c>in</c> or <c>notIn</c> for <c>recipientDomain</c>.</summary>
    public string? Match { get; init; }

    public int? Min { get; init; }
    public int? Max { get; init; }
    public IReadOnlyList<string>? Addresses { get; init; }
    public IReadOnlyList<string>? Groups { get; init; }
    public IReadOnlyList<string>? Contains { get; init; }
    public string? Pattern { get; init; }
    public string? Name { get; init; }
    public IReadOnlyList<string>? Extensions { get; init; }
    public IReadOnlyList<string>? ContentTypes { get; init; }
    public long? MinSize { get; init; }
    public long? MaxSize { get; init; }
    public string? NamePattern { get; init; }
    public bool? EncryptedZip { get; init; }
    public IReadOnlyList<string>? Keywords { get; init; }
    public int? MaxDistance { get; init; }
    public int? Lines { get; init; }
}

/// <summary>One action; like conditions, parameters are checked against the <see cref="Type"/>.</summary>
public sealed record ActionSpec
{
    public string? Type { get; init; }

    // reject
    public string? Reason { get; init; }

    // hold
    public string? Duration { get; init; }
    public string? Mode { get; init; }

    // requireApproval
    public string? Route { get; init; }
    public string? Timeout { get; init; }
    public string? OnTimeout { get; init; }
    public string? ReminderBefore { get; init; }

    // encryptAttachments
    public string? Method { get; init; }
    public string? NameEncoding { get; init; }
    public string? PasswordTo { get; init; }
    public string? PasswordDelay { get; init; }
    public string? AlreadyEncrypted { get; init; }
    public bool? SplitDelivery { get; init; }
    public int? PasswordLength { get; init; }
    public string? FileNameEncoding { get; init; }
    public bool? Notice { get; init; }

    // replaceAttachmentsWithLink
    public string? Expiry { get; init; }
    public int? MaxDownloadsPerFile { get; init; }
    public bool? VerifyRecipient { get; init; }
    public bool? PasswordMail { get; init; }
    public bool? NotifySenderOnFirstDownload { get; init; }
    public bool? ExemptInternalRecipients { get; init; }

    // convertToBcc
    public int? Threshold { get; init; }
    public string? ReplaceTo { get; init; }

    // addHeader
    public string? Name { get; init; }
    public string? Value { get; init; }

    // tag
    public IReadOnlyList<string>? Tags { get; init; }
}

/// <summary>Tenant-wide facts the rules refer to: which domains are internal, who is in which group.</summary>
public sealed record TenantSettings
{
    public static readonly TenantSettings Empty = new();

    /// <summary>The company's own domains (subdomains included); every other domain is external.</summary>
    public IReadOnlyList<string> InternalDomains { get; init; } = [];

    /// <summary>Sender groups: name → members, each an address or <c>@domain</c>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> SenderGroups { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary><c>ja</c> or <c>en</c>: the language of the password mail and the encryption notice.</summary>
    public string Language { get; init; } = "ja";

    /// <summary>IANA time zone for dates people read (zip name, password mail).</summary>
    public string TimeZone { get; init; } = "Asia/Tokyo";

    /// <summary>Zip file name template; <c>{date}</c> becomes yyyyMMdd. Null: the language's default.</summary>
    public string? ZipFileName { get; init; }

    /// <summary>How long mail content is kept (ISO 8601, e.g. <c>P365D</c>); null: for ever.</summary>
    public string? Retention { get; init; }

    /// <summary>Whether a message's record outlives its purged content.</summary>
    public bool KeepMetadata { get; init; } = true;

    /// <summary>Whether the sender is told when a mail cannot be delivered, or some recipients refused it.</summary>
    public bool FailureNotices { get; init; } = true;

    public const string DefaultZipFileNameJa = "添付ファイル_{date}.zip";
    public const string DefaultZipFileNameEn = "attachments_{date}.zip";

    public string ZipFileNameTemplate => ZipFileName ?? (Language == "en" ? DefaultZipFileNameEn : DefaultZipFileNameJa);

    /// <summary>The tenant's wall-clock time for <paramref name="instant"/>; UTC+9 when the zone is unknown here.</summary>
    public DateTimeOffset LocalTime(DateTimeOffset instant) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out var zone)
            ? TimeZoneInfo.ConvertTime(instant, zone)
            : instant.ToOffset(TimeSpan.FromHours(9));
}

public static class ConditionTypes
{
    public const string RecipientDomain = "recipientDomain";
    public const string ExternalRecipients = "externalRecipients";
    public const string RecipientCount = "recipientCount";
    public const string Sender = "sender";
    public const string Subject = "subject";
    public const string Body = "body";
    public const string AttachmentCount = "attachmentCount";
    public const string Attachment = "attachment";
    public const string Header = "header";
    public const string CreditCard = "creditCard";
    public const string MyNumber = "myNumber";
    public const string FirstTimeRecipientDomain = "firstTimeRecipientDomain";
    public const string LookalikeDomain = "lookalikeDomain";
    public const string AttachmentMentionedButMissing = "attachmentMentionedButMissing";
    public const string MissingHonorific = "missingHonorific";
    public const string ConfidentialMarking = "confidentialMarking";
    public const string FirstTimeRecipientAddress = "firstTimeRecipientAddress";
    public const string UnusualDomainCombination = "unusualDomainCombination";
    public const string WrongCompany = "wrongCompany";

    /// <summary>Each type with the parameters it accepts (besides <c>type</c> and <c>negate</c>).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Parameters = new Dictionary<string, string[]>
    {
        [RecipientDomain] = ["domains", "match", "fields"],
        [ExternalRecipients] = ["min", "fields"],
        [RecipientCount] = ["min", "fields"],
        [Sender] = ["addresses", "domains", "groups"],
        [Subject] = ["contains", "pattern"],
        [Body] = ["contains", "pattern"],
        [AttachmentCount] = ["min", "max"],
        [Attachment] = ["extensions", "contentTypes", "minSize", "maxSize", "namePattern", "encryptedZip"],
        [Header] = ["name", "contains", "pattern"],
        [CreditCard] = ["min"],
        [MyNumber] = ["min"],
        [FirstTimeRecipientDomain] = ["fields"],
        [LookalikeDomain] = ["maxDistance", "fields"],
        [AttachmentMentionedButMissing] = ["keywords"],
        [MissingHonorific] = ["lines"],
        [ConfidentialMarking] = ["keywords"],
        [FirstTimeRecipientAddress] = ["min", "fields"],
        [UnusualDomainCombination] = [],
        [WrongCompany] = [],
    };
}

public static class ActionTypes
{
    public const string Reject = "reject";
    public const string Hold = "hold";
    public const string RequireApproval = "requireApproval";
    public const string EncryptAttachments = "encryptAttachments";
    public const string ReplaceAttachmentsWithLink = "replaceAttachmentsWithLink";
    public const string ConvertToBcc = "convertToBcc";
    public const string AddHeader = "addHeader";
    public const string Tag = "tag";

    public static readonly IReadOnlyDictionary<string, string[]> Parameters = new Dictionary<string, string[]>
    {
        [Reject] = ["reason"],
        [Hold] = ["duration", "mode", "notice"],
        [RequireApproval] = ["route", "timeout", "onTimeout", "reminderBefore", "notice"],
        [EncryptAttachments] = ["method", "nameEncoding", "passwordTo", "passwordDelay", "alreadyEncrypted", "splitDelivery", "passwordLength", "fileNameEncoding", "notice"],
        [ReplaceAttachmentsWithLink] = ["expiry", "maxDownloadsPerFile", "verifyRecipient", "passwordMail", "notifySenderOnFirstDownload", "exemptInternalRecipients"],
        [ConvertToBcc] = ["threshold", "replaceTo"],
        [AddHeader] = ["name", "value"],
        [Tag] = ["tags"],
    };
}

public static class HoldModes
{
    public const string AutoRelease = "autoRelease";
    public const string Review = "review";
    public const string SelfAudit = "selfAudit";

    public static readonly string[] All = [AutoRelease, Review, SelfAudit];
}
