using System.Data.Common;
using System.Text.Json;
using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Messages;

/// <summary>A validated submission waiting to be committed.</summary>
public sealed record PendingSubmission(
    Actor Actor,
    MessageRow Row,
    Archive.StagedBlob Original,
    IReadOnlyList<RecipientRow> Recipients,
    IReadOnlyList<NewEvent> Events,
    IReadOnlyList<string> Tags,
    SubmissionReceipt Receipt,
    IdempotencyRequest? Idempotency,
    long Now,
    Approvals.OpenedApproval? Approval = null,
    IReadOnlyList<string>? AttachmentNames = null,
    IReadOnlyList<string>? RuleIds = null,
    IReadOnlyList<Notifications.NewNotification>? Notices = null,
    string? UsageDay = null);

/// <summary>
/// Commits submissions through <see cref="GroupCommit{TItem, TResult}"/>: the idempotency key
/// first, then the message, its content, recipients and first events. The original was staged in
/// the blob store by the request; the batch flushes it before committing, so a committed message
/// never references content that a crash could lose. An approval request the approval feature
/// opened for the message is written in the same transaction (<see cref="Approvals.OpenedApproval"/>).
/// </summary>
public sealed class SubmissionWriter : IAsyncDisposable
{
    private const string FindIdempotencyKeySql = """
        SELECT request_hash AS RequestHash, message_id AS MessageId, response_body AS ResponseBody, expires_at AS ExpiresAt
          FROM idempotency_keys WHERE tenant_id = @tenantId AND idem_key = @key
        """;

    private const string DeleteExpiredKeySql = """
        DELETE FROM idempotency_keys WHERE tenant_id = @tenantId AND idem_key = @key AND expires_at <= @now
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IDbConnectionFactory _db;
    private readonly MessageStore _store;
    private readonly TimeSpan _idempotencyRetention;
    private readonly GroupCommit<PendingSubmission, SubmitOutcome> _commits;

    public SubmissionWriter(IDbConnectionFactory db, MessageStore store, Archive.IBlobStore blobs, Microsoft.Extensions.Options.IOptions<LimitsOptions> limits)
    {
        _db = db;
        _store = store;
        _idempotencyRetention = limits.Value.IdempotencyRetention;
        // The originals of a batch are made durable together, before the transaction that references them.
        _commits = new GroupCommit<PendingSubmission, SubmitOutcome>(db, WriteAsync, batch => blobs.FlushAsync(batch.Select(s => s.Original).ToList()), CountUsageAsync);
    }

    public Task<SubmitOutcome> WriteAsync(PendingSubmission submission, CancellationToken cancellationToken) =>
        _commits.WriteAsync(submission, cancellationToken);
    public async Task<SubmitOutcome?> FindPreviousAsync(string tenantId, IdempotencyRequest idempotency, long now, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenAsync(cancellationToken);
        var existing = await connection.QuerySingleOrDefaultAsync<StoredKey>(
            new CommandDefinition(FindIdempotencyKeySql, new { tenantId, key = idempotency.Key }, cancellationToken: cancellationToken));
        return existing is null || existing.ExpiresAt <= now ? null : Previous(existing, idempotency);
    }

    public ValueTask DisposeAsync() => _commits.DisposeAsync();

    private async Task<SubmitOutcome> WriteAsync(DbConnection connection, DbTransaction transaction, PendingSubmission s)
    {
        if (s.Idempotency is { } idempotency)
        {
            var key = new { tenantId = s.Actor.TenantId, key = idempotency.Key, now = s.Now };
            if (!await TryInsertKeyAsync(connection, transaction, s, idempotency))
            {
                var existing = await connection.QuerySingleAsync<StoredKey>(FindIdempotencyKeySql, key, transaction);
                if (existing.ExpiresAt <= s.Now)
                {
                    // Expired but not yet purged: forget it and take the key afresh.
                    await connection.ExecuteAsync(DeleteExpiredKeySql, key, transaction);
                    await TryInsertKeyAsync(connection, transaction, s, idempotency);
                }
                else
                {
                    return Previous(existing, idempotency);
                }
            }
        }

        await _store.InsertAsync(connection, transaction, s.Row, s.Original, s.Recipients, s.Events, s.Tags, s.Now, s.AttachmentNames, s.RuleIds);
        if (s.Approval is { } approval)
        {
            await approval.WriteAsync(connection, transaction, s.Now);
        }

        if (s.Notices is { Count: > 0 } notices)
        {
            await Notifications.NotificationStore.InsertAsync(connection, transaction, notices, s.Now);
        }

        return new SubmitOutcome.Accepted(s.Receipt, Replayed: false);
    }

    /// <summary>The tenants' messages and bytes of the day, one row per tenant and day for the whole batch (replays are not counted again).</summary>
    private async Task CountUsageAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<PendingSubmission> batch, IReadOnlyList<SubmitOutcome> results)
    {
        var counted = batch.Where((s, i) => s.UsageDay is not null && results[i] is SubmitOutcome.Accepted { Replayed: false })
            .GroupBy(s => (s.Actor.TenantId, Day: s.UsageDay!))
            .Select(g => new { tenantId = g.Key.TenantId, day = g.Key.Day, messages = g.Count(), bytes = g.Sum(s => s.Row.SizeBytes) })
            .ToList();
        if (counted.Count > 0)
        {
            await connection.ExecuteAsync(_db.Dialect.AddTenantUsageSql, counted, transaction);
        }
    }

    private static SubmitOutcome Previous(StoredKey existing, IdempotencyRequest idempotency) =>
        string.Equals(existing.RequestHash, idempotency.RequestHash, StringComparison.Ordinal)
            ? new SubmitOutcome.Accepted(JsonSerializer.Deserialize<SubmissionReceipt>(existing.ResponseBody, Json)!, Replayed: true)
            : new SubmitOutcome.IdempotencyConflict(idempotency.Key, existing.MessageId);

    private async Task<bool> TryInsertKeyAsync(DbConnection connection, DbTransaction transaction, PendingSubmission s, IdempotencyRequest idempotency) =>
        await connection.ExecuteAsync(_db.Dialect.InsertIdempotencyKeySql, new
        {
            tenantId = s.Actor.TenantId,
            key = idempotency.Key,
            requestHash = idempotency.RequestHash,
            messageId = s.Row.Id,
            responseStatus = s.Receipt.Status == MessageStatus.Rejected ? 422 : 202,
            responseBody = JsonSerializer.Serialize(s.Receipt, Json),
            now = s.Now,
            expiresAt = s.Now + (long)_idempotencyRetention.TotalMilliseconds,
        }, transaction) == 1;

    private sealed record StoredKey
    {
        public string RequestHash { get; init; } = "";
        public string MessageId { get; init; } = "";
        public string ResponseBody { get; init; } = "";
        public long ExpiresAt { get; init; }
    }
}
