using System.Text.Json;

namespace SendGate.Core.Policies;

/// <summary>
/// What the policy decided for one message, and why. Stored with the message, returned on 202 and
/// 422, by <c>GET /v1/messages/{id}</c>, in the acceptance event and by the dry run.
/// </summary>
public sealed record PolicyDecision
{
    /// <summary>The policy version evaluated; null only for messages stored before policies existed.</summary>
    public int? PolicyVersion { get; init; }

    /// <summary>The first status: <c>rejected</c>, <c>awaiting_approval</c>, <c>held</c> or <c>queued</c>.</summary>
    public string Status { get; init; } = "";

    /// <summary>When a held message is released (or discarded, in self-audit mode); null while held for review.</summary>
    public DateTimeOffset? ReleaseAt { get; init; }

    public RejectionDecision? Rejection { get; init; }
    public ApprovalDecision? Approval { get; init; }
    public HoldDecision? Hold { get; init; }
    public EncryptionDecision? Encryption { get; init; }

    /// <summary>The attachments replaced by a download link; when set, <see cref="Encryption"/> is null (a link wins).</summary>
    public LinkDecision? Link { get; init; }
    public BccDecision? Bcc { get; init; }
    public IReadOnlyList<HeaderDecision> Headers { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Every rule that matched, in policy order, with its evidence and what became of its actions.</summary>
    public IReadOnlyList<RuleMatch> Rules { get; init; } = [];

    /// <summary>The decision in plain sentences, for people.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];
}

public sealed record RejectionDecision(string RuleId, string RuleName, string Reason);

/// <summary>Recorded for the approval flow: which route decides and what happens when nobody does.</summary>
/// <remarks>Durations are ISO 8601 (<c>PT4H</c>), as in the policy.</remarks>
public sealed record ApprovalDecision(string RuleId, string RuleName, string Route, string Timeout, string OnTimeout, string? ReminderBefore, bool Notice = false);

/// <summary>
/// The hold that applies. With approval it starts once the message is approved
/// (<see cref="AfterApproval"/>); <see cref="Until"/> is then unknown and <see cref="Duration"/> counts.
/// </summary>
public sealed record HoldDecision(
    string Mode,
    string? Duration,
    DateTimeOffset? Until,
    string Source,
    string? RuleId,
    string? RuleName,
    bool AfterApproval,
    bool LengthenedBySendAt,
    DateTimeOffset? SendAt,
    bool Notice = false);

public sealed record EncryptionDecision(
    string RuleId,
    string RuleName,
    string Method,
    string NameEncoding,
    string PasswordTo,
    string PasswordDelay,
    string AlreadyEncrypted,
    bool SplitDelivery,
    IReadOnlyList<string> Attachments,
    IReadOnlyList<string> AlreadyEncryptedAttachments,
    int PasswordLength = 12,
    string FileNameEncoding = "rfc2231",
    bool Notice = false);

/// <summary>
/// The attachments leave the delivered mail for the download store; the mail carries a notice
/// with one link. Options as in the rule (defaults filled in); <see cref="Expiry"/> counts from
/// the delivery that creates the link. Encrypted zips among <see cref="Attachments"/> are linked as they are.
/// </summary>
public sealed record LinkDecision(
    string RuleId,
    string RuleName,
    string Expiry,
    int? MaxDownloadsPerFile,
    bool VerifyRecipient,
    bool PasswordMail,
    bool NotifySenderOnFirstDownload,
    bool ExemptInternalRecipients,
    IReadOnlyList<string> Attachments,
    IReadOnlyList<string> AlreadyEncryptedAttachments);

/// <summary>External To/Cc recipients moved to Bcc; To becomes <see cref="ReplaceTo"/> when nobody is left in it.</summary>
public sealed record BccDecision(string RuleId, string RuleName, IReadOnlyList<string> Addresses, string ReplaceTo);

public sealed record HeaderDecision(string Name, string Value, string RuleId);

public sealed record RuleMatch(
    string RuleId,
    string Name,
    int Version,
    IReadOnlyList<ConditionMatch> Conditions,
    IReadOnlyList<ActionResult> Actions,
    bool StopProcessing);

/// <summary>A condition that held, where it sits in the rule, and what made it true (PII masked).</summary>
public sealed record ConditionMatch(string Type, string Path, string Detail, IReadOnlyList<string> Evidence);

/// <summary>
/// One action of a matched rule and its effect: <c>applied</c>, <c>superseded</c> (another rule's
/// action of higher precedence won) or <c>notApplicable</c> (e.g. a Bcc threshold not reached).
/// </summary>
public sealed record ActionResult(string Type, string Effect, string Detail);

public static class ActionEffects
{
    public const string Applied = "applied";
    public const string Superseded = "superseded";
    public const string NotApplicable = "notApplicable";
}

/// <summary>Reads the decision stored with a message (<c>messages.decisions</c>).</summary>
public static class PolicyDecisions
{
    /// <summary>The stored decision of a message; null for rows written before policies existed (a list there).</summary>
    public static PolicyDecision? Read(string json) =>
        json.AsSpan().TrimStart().StartsWith("{") ? JsonSerializer.Deserialize<PolicyDecision>(json, PolicyStore.Json) : null;
}
