using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;
using SendGate.Core.Mime;
using SendGate.Core.Policies;
using SendGate.Core.Telemetry;

namespace SendGate.Core.Messages;

/// <summary>Who asks: the tenant and the key (or person) acting, as recorded in events.</summary>
public sealed record Actor(string TenantId, string Name);

/// <summary>An <c>Idempotency-Key</c> with the hash of the request it came with.</summary>
public sealed record IdempotencyRequest(string Key, string RequestHash);

public abstract record SubmitOutcome
{
    public sealed record Accepted(SubmissionReceipt Receipt, bool Replayed) : SubmitOutcome;

    /// <summary>The key was used before with a different request (422: the draft's "key reused with a different payload").</summary>
    public sealed record IdempotencyConflict(string Key, string MessageId) : SubmitOutcome;

    /// <summary>Not stored: the tenant's daily or storage quota is used up.</summary>
    public sealed record QuotaExceeded(Tenants.QuotaRefusal Refusal) : SubmitOutcome;
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
    PolicyService policies,
    Approvals.ApprovalService approvals,
    Archive.IBlobStore blobs,
    TimeProvider time,
    IOptions<LimitsOptions> limits,
    Tenants.TenantAccess access,
    SendGateMetrics metrics,
    ILogger<SubmissionService> logger)
{
    private const string PurgeExpiredKeysSql = "DELETE FROM idempotency_keys WHERE expires_at <= @now";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<(string TenantId, string Key), byte> _inFlight = new();

    /// <summary>
    /// Marks an <c>Idempotency-Key</c> as in use by a request this host is processing, until the
    /// returned claim is disposed; null when another request with the key is in flight here. The
    /// key is only written with the message, so until then nothing in the database shows that a
    /// request is under way; a retry arriving meanwhile is told so (409) instead of running the
    /// whole submission a second time to end as a replay. On another host the unique key still
    /// decides: the retry gets the first answer once the first request is committed.
    /// </summary>
    public IDisposable? TryClaimIdempotencyKey(string tenantId, string key) =>
        _inFlight.TryAdd((tenantId, key), 0) ? new InFlightClaim(_inFlight, (tenantId, key)) : null;

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

    public async Task<SubmitOutcome> SubmitAsync(Actor actor, string messageId, PreparedMessage message, DateTimeOffset? sendAt,
        IdempotencyRequest? idempotency, CancellationToken cancellationToken = default)
    {
        using var activity = SendGateTracing.StartForMessage("sendgate.submit", messageId, actor.TenantId);
        activity?.SetTag("sendgate.door", message.Door);
        if (await access.CheckSubmissionAsync(actor.TenantId, message.Raw.Length, cancellationToken) is { } refusal)
        {
            // A repeat of a message accepted before the quota was met still gets its first answer.
            if (idempotency is not null && await writer.FindPreviousAsync(actor.TenantId, idempotency, time.NowMs(), cancellationToken) is { } previous)
            {
                return previous;
            }

            return new SubmitOutcome.QuotaExceeded(refusal);
        }

        var usageDay = await access.UsageDayAsync(actor.TenantId, cancellationToken);
        var (decision, settings) = await policies.DecideWithSettingsAsync(actor.TenantId, message, sendAt, cancellationToken);
        var (status, releaseAt) = (decision.Status, decision.ReleaseAt);
        var receipt = new SubmissionReceipt(messageId, status, releaseAt, decision);
        var now = time.NowMs();
        var row = new MessageRow
        {
            Id = messageId,
            TenantId = actor.TenantId,
            Status = status,
            Source = message.Source,
            Door = message.Door,
            EnvelopeFrom = message.EnvelopeFrom,
            HeaderFrom = message.HeaderFrom,
            Subject = message.Subject,
            MessageIdHeader = message.MessageIdHeader,
            SizeBytes = message.Raw.Length,
            AttachmentCount = message.AttachmentCount,
            Metadata = message.Metadata is null ? null : JsonSerializer.Serialize(message.Metadata, Json),
            Decisions = JsonSerializer.Serialize(decision, Json),
            PolicyVersion = decision.PolicyVersion,
            HoldMode = status == MessageStatus.Held ? decision.Hold?.Mode : null,
            CreatedAt = now,
            UpdatedAt = now,
            ReleaseAt = releaseAt?.ToUnixTimeMilliseconds(),
            DueAt = status == MessageStatus.Queued ? now : null,
        };
        var recipients = message.Recipients.Select(r => new RecipientRow { MessageId = messageId, Address = r.Address, Kind = r.Kind });
        var events = new List<NewEvent>
        {
            new(MessageEventType.Accepted, null, status, actor.Name, message.Door == Doors.Smtp ? "submitted over smtp" : $"submitted as {message.Source}", JsonSerializer.Serialize(decision, Json)),
        };
        Approvals.OpenedApproval? approval = null;
        if (decision is { Status: MessageStatus.AwaitingApproval, Approval: { } wanted })
        {
            approval = await approvals.OpenAsync(actor.TenantId, messageId, message.EnvelopeFrom, message.HeaderFrom, wanted, PolicyActor(decision), now,
                cancellationToken);
            events.Add(approval.Requested);
        }
        else if (FirstStatusEvent(decision) is { } first)
        {
            events.Add(first with { Actor = PolicyActor(decision) });
        }

        var notice = ReviewConsole.HoldNotices.For(actor.TenantId, messageId, decision, message.EnvelopeFrom, message.HeaderFrom, settings);

        // Written outside the single writer, in parallel with other requests; made durable by the batch.
        var original = await message.Raw.StageAsync(blobs, cancellationToken);
        SubmitOutcome outcome;
        using (SendGateTracing.StartForMessage("sendgate.store", messageId, actor.TenantId))
        {
            outcome = await writer.WriteAsync(
                new PendingSubmission(actor, row, original, recipients.ToList(), events, decision.Tags, receipt, idempotency, now, approval,
                    message.Mime.Attachments.Select(a => a is MimeKit.MimePart p ? p.FileName ?? "" : a.ContentDisposition?.FileName ?? "").Where(n => n.Length > 0).ToList(),
                    decision.Rules.Select(r => r.RuleId).ToList(), notice is null ? null : [notice], usageDay),
                cancellationToken);
        }

        if (outcome is SubmitOutcome.Accepted { Replayed: false })
        {
            // Committed: counted once, however the group commit wrote it.
            metrics.Submitted(actor.TenantId, status);
            access.Counted(actor.TenantId, row.SizeBytes);
            Log.MessageAccepted(logger, messageId, actor.TenantId, status);
            activity.Ended(status);
        }
        else
        {
            activity.Ended(outcome is SubmitOutcome.Accepted ? "replayed" : "idempotency_conflict");
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

    /// <summary>The event that says why the message did not go straight to the queue.</summary>
    private static NewEvent? FirstStatusEvent(PolicyDecision decision) => decision.Status switch
    {
        MessageStatus.Rejected => new(MessageEventType.Rejected, null, MessageStatus.Rejected, "",
            $"rule '{decision.Rejection!.RuleName}': {decision.Rejection.Reason}"),
        MessageStatus.Held => new(MessageEventType.Held, null, MessageStatus.Held, "",
            HeldReason(decision.Hold!),
            JsonSerializer.Serialize(decision.Hold, Json)),
        _ => null,
    };

    private static string HeldReason(HoldDecision hold)
    {
        var until = hold.Until is { } at ? $"until {Rfc3339.Format(at)}" : "until released";
        return hold.Source == "sendAt"
            ? $"held {until} (sendAt)"
            : $"rule '{hold.RuleName}': {hold.Mode} hold {until}{(hold.LengthenedBySendAt ? " (lengthened to sendAt)" : "")}";
    }

    private static string PolicyActor(PolicyDecision decision) =>
        decision.PolicyVersion is { } v ? $"policy:v{v}" : "policy";

    public static string NewMessageId() => $"msg_{Guid.CreateVersion7():N}";

    private sealed class InFlightClaim(ConcurrentDictionary<(string, string), byte> inFlight, (string, string) key) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                inFlight.TryRemove(key, out _);
            }
        }
    }
}
