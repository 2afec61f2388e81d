using System.Text.Json;
using SendGate.Core;
using SendGate.Core.Encryption;
using SendGate.Core.Messages;
using SendGate.Core.Policies;

namespace SendGate.Api.Messages;

public sealed record MessageLinks(string Self, string Events, string Mime, string? Release, string? Cancel);

/// <summary>The 202 answer to a submission.</summary>
public sealed record SubmitMessageResponse(string Id, string Status, DateTimeOffset? ReleaseAt, PolicyDecision Decision, MessageLinks Links);

public sealed record RecipientDto(string Address, string Kind, string Status, string? Reply, DateTimeOffset? UpdatedAt);

/// <summary>The mail that carries the zip's password; the password itself is never shown.</summary>
public sealed record PasswordMailDto(
    string Id,
    string Status,
    string ZipName,
    string PasswordTo,
    IReadOnlyList<string>? Recipients,
    DateTimeOffset? DueAt,
    DateTimeOffset? SentAt,
    int Attempts,
    string? LastError,
    DateTimeOffset CreatedAt);

public sealed record MessageDetails(
    string Id,
    string Status,
    string Source,
    string Door,
    string From,
    string EnvelopeFrom,
    string Subject,
    string? MessageId,
    long SizeBytes,
    int AttachmentCount,
    IReadOnlyList<RecipientDto> Recipients,
    PolicyDecision Decision,
    int? PolicyVersion,
    string? HoldMode,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ReleaseAt,
    DateTimeOffset? NextAttemptAt,
    int Attempts,
    string? LastError,
    DateTimeOffset? SentAt,
    PasswordMailDto? PasswordMail,
    bool LegalHold,
    DateTimeOffset? ContentPurgedAt,
    MessageLinks Links);

public sealed record MessageSummary(
    string Id,
    string Status,
    string Door,
    string From,
    string Subject,
    long SizeBytes,
    int AttachmentCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ReleaseAt,
    DateTimeOffset? SentAt,
    int Attempts,
    MessageLinks Links);

public sealed record MessageList(IReadOnlyList<MessageSummary> Items, string? NextCursor);

public sealed record MessageEventDto(int Seq, string Type, string? FromStatus, string? ToStatus, string Actor, string? Reason, JsonElement? Data, DateTimeOffset At);

public sealed record MessageEventList(string MessageId, IReadOnlyList<MessageEventDto> Items);

/// <summary>Optional body of release and cancel (and of setting or lifting a legal hold).</summary>
public sealed record MessageActionRequest(string? Reason);

internal static class MessageMapping
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static MessageLinks Links(string id, string status) => new(
        $"/v1/messages/{id}",
        $"/v1/messages/{id}/events",
        $"/v1/messages/{id}/mime",
        status == MessageStatus.Held ? $"/v1/messages/{id}/release" : null,
        status is MessageStatus.Held or MessageStatus.AwaitingApproval or MessageStatus.Queued ? $"/v1/messages/{id}/cancel" : null);

    public static SubmitMessageResponse ToResponse(this SubmissionReceipt receipt) =>
        new(receipt.Id, receipt.Status, receipt.ReleaseAt, receipt.Decision, Links(receipt.Id, receipt.Status));

    public static MessageDetails ToDetails(this MessageRow m, IReadOnlyList<RecipientRow> recipients, PasswordMailRow? password) =>
        m.ToDetails(recipients, Decision(m), password);

    private static MessageDetails ToDetails(this MessageRow m, IReadOnlyList<RecipientRow> recipients, PolicyDecision decision, PasswordMailRow? password) => new(
        m.Id, m.Status, m.Source, m.Door, m.HeaderFrom, m.EnvelopeFrom, SendGate.Core.Policies.Detectors.SensitiveNumbers.Mask(m.Subject), m.MessageIdHeader, m.SizeBytes, m.AttachmentCount,
        recipients.Select(r => new RecipientDto(r.Address, r.Kind, r.Status, r.SmtpReply, Clock.FromMs(r.UpdatedAt))).ToList(),
        decision, m.PolicyVersion, m.Status == MessageStatus.Held ? m.HoldMode : null, decision.Tags,
        m.Metadata is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(m.Metadata, Json),
        Clock.FromMs(m.CreatedAt), Clock.FromMs(m.UpdatedAt), Clock.FromMs(m.ReleaseAt),
        m.Status is MessageStatus.Queued ? Clock.FromMs(m.DueAt) : null,
        m.Attempts, m.LastError, Clock.FromMs(m.SentAt), password?.ToDto(), m.LegalHold, Clock.FromMs(m.ContentPurgedAt), Links(m.Id, m.Status));

    /// <summary>The details of <paramref name="message"/>, with its recipients and password mail read.</summary>
    public static async Task<MessageDetails> DetailsAsync(this MessageStore store, PasswordMailStore passwords, MessageRow message,
        CancellationToken cancellationToken) =>
        message.ToDetails(await store.GetRecipientsAsync(message.Id, cancellationToken), await passwords.GetByMessageAsync(message.Id, cancellationToken));

    private static PasswordMailDto ToDto(this PasswordMailRow p) => new(
        p.Id, PasswordMailStatus.Published(p.Status), p.ZipName, p.PasswordTo,
        p.Recipients is null ? null : JsonSerializer.Deserialize<List<string>>(p.Recipients),
        p.Status is PasswordMailStatus.Queued or PasswordMailStatus.Sending ? Clock.FromMs(p.DueAt) : null,
        Clock.FromMs(p.SentAt), p.Attempts, p.LastError, Clock.FromMs(p.CreatedAt));

    public static MessageSummary ToSummary(this MessageRow m) => new(
        m.Id, m.Status, m.Door, m.HeaderFrom, SendGate.Core.Policies.Detectors.SensitiveNumbers.Mask(m.Subject), m.SizeBytes, m.AttachmentCount, Clock.FromMs(m.CreatedAt),
        Clock.FromMs(m.ReleaseAt), Clock.FromMs(m.SentAt), m.Attempts, Links(m.Id, m.Status));

    public static MessageEventDto ToDto(this EventRow e) => new(
        e.Seq, e.Type, e.FromStatus, e.ToStatus, e.Actor, e.Reason,
        e.Data is null ? null : JsonDocument.Parse(e.Data).RootElement.Clone(), Clock.FromMs(e.At));

    // Messages stored before policies existed carry no decision object; they were queued or held by sendAt.
    private static PolicyDecision Decision(MessageRow m) =>
        PolicyDecisions.Read(m.Decisions) ?? new PolicyDecision
        {
            Status = m.ReleaseAt is null ? MessageStatus.Queued : MessageStatus.Held,
            ReleaseAt = Clock.FromMs(m.ReleaseAt),
            Reasons = ["decided before policies existed"],
        };
}
