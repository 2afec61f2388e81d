using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;
using SendGate.Core.Mime;

namespace SendGate.Core.Messages;

/// <summary>Who asks: the tenant and the key (or person) acting, as recorded in events.</summary>
public sealed record Actor(string TenantId, string Name);

/// <summary>An <c>Idempotency-Key</c> with the hash of the request it came with.</summary>
public sealed record IdempotencyRequest(string Key, string RequestHash);

public abstract record SubmitOutcome
{
    public sealed record Accepted(SubmissionReceipt Receipt, bool Replayed) : SubmitOutcome;

    /// <summary>The key was used before with a different request.</summary>
    public sealed record IdempotencyConflict(string Key, string MessageId) : SubmitOutcome;
}

/// <summary>
/// Decides a validated submission's first status and stores it through the
/// <see cref="SubmissionWriter"/>: once this returns, the message survives any crash. The
/// idempotency key is inserted in the same transaction before the message, so two racing
/// requests with one key cannot both create a message (the unique key decides).
/// </summary>
public sealed class SubmissionService(
    IDbConnectionFactory db,
    SubmissionWriter writer,
    TimeProvider time,
    IOptions<LimitsOptions> limits,
    ILogger<SubmissionService> logger)
{
    private const string PurgeExpiredKeysSql = "DELETE FROM idempotency_keys WHERE expires_at <= @now";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Checks <c>sendAt</c>: a little in the past is clock skew and means now; more is refused.</summary>
    public Violation? CheckSendAt(DateTimeOffset? sendAt, string field)
    {
        if (sendAt is { } at && at < time.GetUtcNow() - limits.Value.SendAtTolerance)
        {
            return new Violation(field, ViolationCode.SendAtInPast,
                $"sendAt {at:O} lies in the past (more than {limits.Value.SendAtTolerance} ago).");
        }

        return null;
    }

    /// <summary>The first status and the reasons for it.</summary>
    public (string Status, DateTimeOffset? ReleaseAt, IReadOnlyList<Decision> Decisions) Decide(DateTimeOffset? sendAt)
    {
        var now = time.GetUtcNow();
        if (sendAt?.ToUniversalTime() is { } at && at > now)
        {
            return (MessageStatus.Held, at, [new Decision("sendAt", "hold", "held until the requested send time", at)]);
        }

        return (MessageStatus.Queued, null, [new Decision("default", "send", "no hold applies; queued for delivery")]);
    }

    public async Task<SubmitOutcome> SubmitAsync(Actor actor, string messageId, PreparedMessage message, DateTimeOffset? sendAt,
        IdempotencyRequest? idempotency, CancellationToken cancellationToken = default)
    {
        var (status, releaseAt, decisions) = Decide(sendAt);
        var receipt = new SubmissionReceipt(messageId, status, releaseAt, decisions);
        var now = time.NowMs();
        var row = new MessageRow
        {
            Id = messageId,
            TenantId = actor.TenantId,
            Status = status,
            Source = message.Source,
            EnvelopeFrom = message.EnvelopeFrom,
            HeaderFrom = message.HeaderFrom,
            Subject = message.Subject,
            MessageIdHeader = message.MessageIdHeader,
            SizeBytes = message.Raw.LongLength,
            AttachmentCount = message.AttachmentCount,
            Metadata = message.Metadata is null ? null : JsonSerializer.Serialize(message.Metadata, Json),
            Decisions = JsonSerializer.Serialize(decisions, Json),
            CreatedAt = now,
            UpdatedAt = now,
            ReleaseAt = releaseAt?.ToUnixTimeMilliseconds(),
            NextAttemptAt = status == MessageStatus.Queued ? now : null,
        };
        var recipients = message.Recipients.Select(r => new RecipientRow { MessageId = messageId, Address = r.Address, Kind = r.Kind });
        var events = new List<NewEvent>
        {
            new(MessageEventType.Accepted, null, status, actor.Name, $"submitted as {message.Source}"),
        };
        if (status == MessageStatus.Held)
        {
            events.Add(new(MessageEventType.Held, null, status, actor.Name, $"held until {releaseAt:O} (sendAt)"));
        }

        var outcome = await writer.WriteAsync(new PendingSubmission(actor, row, message.Raw, recipients.ToList(), events, receipt, idempotency, now), cancellationToken);
        if (outcome is SubmitOutcome.Accepted { Replayed: false })
        {
            Log.MessageAccepted(logger, messageId, actor.TenantId, status);
        }

        return outcome;
    }

    /// <summary>
    /// Looks an <c>Idempotency-Key</c> up before the request is validated again, so that a retry
    /// gets the first answer even when re-validating would now fail (e.g. its sendAt has passed).
    /// Null when the key is unused or expired.
    /// </summary>
    public Task<SubmitOutcome?> FindPreviousAsync(string tenantId, IdempotencyRequest idempotency, CancellationToken cancellationToken = default) =>
        writer.FindPreviousAsync(tenantId, idempotency, time.NowMs(), cancellationToken);

    public async Task<int> PurgeExpiredIdempotencyKeysAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var purged = await connection.ExecuteAsync(new CommandDefinition(PurgeExpiredKeysSql, new { now = time.NowMs() }, cancellationToken: cancellationToken));
        if (purged > 0)
        {
            Log.IdempotencyPurged(logger, purged);
        }

        return purged;
    }

    public static string NewMessageId() => $"msg_{Guid.CreateVersion7():N}";
}
