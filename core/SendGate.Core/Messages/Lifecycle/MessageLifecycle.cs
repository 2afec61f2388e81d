using System.Data.Common;
using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Messages.Lifecycle;

/// <summary>
/// The one owner of <c>messages.status</c>. Every way a message moves is a method here: a person's
/// or an app's move (release early, cancel), the end of a hold, a delivery's claim and takeover,
/// the return of unstarted claims, a delivery's outcome, and the end of an approval. Each asks
/// <see cref="LifecycleRules"/> first, then swaps the status only if it is still the expected one
/// (0 rows: someone else moved it), writes the move's event in the same transaction, and lets
/// the <see cref="IMessageMoveHandler"/>s do what ends with the message. No other code writes
/// the status (the claim's statement is the dialect's work-queue claim, run only from here).
/// </summary>
public sealed class MessageLifecycle(IDbConnectionFactory db, LifecycleRules rules, IEnumerable<IMessageMoveHandler> handlers)
{
    private readonly IMessageMoveHandler[] _handlers = [.. handlers];

    /// <summary>Messages as a work queue: the claim also takes the number of the event it writes.</summary>
    // A suspended tenant's mail is kept and waits: the claim passes it by until the tenant is resumed.
    internal static readonly WorkQueue Queue = new("messages", ["id", "tenant_id", "envelope_from", "attempts", "event_seq", "created_at"],
        Candidates: "tenant_id NOT IN (SELECT id FROM tenants WHERE suspended_at IS NOT NULL)", AlsoSet: "event_seq = event_seq + 1");

    private const string MoveSql = """
        UPDATE messages
           SET status = @to, updated_at = @now, event_seq = event_seq + 1,
               due_at = CASE WHEN @to = 'queued' THEN @now ELSE due_at END,
               release_at = CASE WHEN @to = 'queued' THEN NULL ELSE release_at END
         WHERE id = @id AND tenant_id = @tenantId AND status = @from
        """;

    private const string DueForReleaseSql = """
        SELECT id AS Id, hold_mode AS HoldMode FROM messages
         WHERE status = 'held' AND release_at <= @now
         ORDER BY release_at
        """;

    private const string ReleaseSql = """
        UPDATE messages
           SET status = 'queued', updated_at = @now, due_at = @now, event_seq = event_seq + 1
         WHERE id = @id AND status = 'held' AND release_at <= @now AND (hold_mode IS NULL OR hold_mode <> 'selfAudit')
        """;

    // A self-audit hold that nobody released in time is the sender saying "not this one".
    private const string DiscardSql = """
        UPDATE messages
           SET status = 'cancelled', updated_at = @now, event_seq = event_seq + 1
         WHERE id = @id AND status = 'held' AND release_at <= @now AND hold_mode = 'selfAudit'
        """;

    // Read in the claim's transaction, so that a takeover's event can name the owner whose lease expired.
    private const string ExpiredLeasesSql = """
        SELECT id AS Id, lease_owner AS LeaseOwner FROM messages WHERE status = 'sending' AND lease_until <= @now
        """;

    private const string InsertClaimEventSql = """
        INSERT INTO message_events (message_id, seq, tenant_id, type, from_status, to_status, actor, reason, data, at)
        VALUES (@Id, @EventSeq, @TenantId, 'message.delivery_started', @fromStatus, 'sending', @actor, @reason, NULL, @now)
        """;

    private const string ReturnUnstartedSql = """
        UPDATE messages
           SET status = 'queued', updated_at = @now, event_seq = event_seq + 1, lease_owner = NULL, lease_until = NULL,
               attempts = attempts - 1, due_at = @now
         WHERE id = @id AND status = 'sending' AND lease_owner = @owner
        """;

    // Only the lease holder may finish a delivery it started.
    private const string FinishDeliverySql = """
        UPDATE messages
           SET status = @to, updated_at = @now, event_seq = event_seq + 1, lease_owner = NULL, lease_until = NULL,
               last_error = @lastError, due_at = @dueAt,
               sent_at = CASE WHEN @to = 'sent' THEN @now ELSE sent_at END
         WHERE id = @id AND status = 'sending' AND lease_owner = @owner
        """;

    private const string LeaveApprovalSql = """
        UPDATE messages
           SET status = @to, updated_at = @now, event_seq = event_seq + 1,
               due_at = CASE WHEN @to = 'queued' THEN @now ELSE due_at END,
               release_at = @releaseAt, hold_mode = @holdMode
         WHERE id = @id AND status = 'awaiting_approval'
        """;

    internal static string DueForReleaseQuery(SqlDialect dialect) => DueForReleaseSql + " " + dialect.LimitClause;

    /// <summary>
    /// A person's or an app's move of one message of <paramref name="tenantId"/> from
    /// <paramref name="from"/> to <paramref name="to"/>; false when it was no longer in <paramref name="from"/>.
    /// </summary>
    public async Task<bool> MoveAsync(string tenantId, string id, string from, string to, NewEvent e, long now, CancellationToken cancellationToken = default)
    {
        rules.Require(from, to);
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await connection.ExecuteAsync(MoveSql, new { id, tenantId, from, to, now }, transaction) == 0)
        {
            return false;
        }

        await MovedAsync(connection, transaction, id, from, to, e, $"the message was {to}", now);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Ends up to <paramref name="batch"/> holds whose time has come: queued for delivery, or
    /// discarded (cancelled) when the hold was a self-audit nobody released. Returns how many ended.
    /// </summary>
    public async Task<int> ReleaseDueAsync(long now, string actor, int batch, CancellationToken cancellationToken = default)
    {
        rules.Require(MessageStatus.Held, MessageStatus.Queued);
        rules.Require(MessageStatus.Held, MessageStatus.Cancelled);
        await using var connection = await db.OpenAsync(cancellationToken);
        var due = (await connection.QueryAsync<(string Id, string? HoldMode)>(
            new CommandDefinition(DueForReleaseQuery(db.Dialect), new { now, limit = batch }, cancellationToken: cancellationToken))).AsList();
        if (due.Count == 0)
        {
            return 0;
        }

        var released = 0;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var (id, mode) in due)
        {
            if (mode == Policies.HoldModes.SelfAudit)
            {
                if (await connection.ExecuteAsync(DiscardSql, new { id, now }, transaction) == 1)
                {
                    await MovedAsync(connection, transaction, id, MessageStatus.Held, MessageStatus.Cancelled,
                        new NewEvent(MessageEventType.Discarded, MessageStatus.Held, MessageStatus.Cancelled, actor, "self-audit hold ended without being released; not sent"),
                        "the self-audit hold ended unreleased", now);
                    released++;
                }

                continue;
            }

            if (await connection.ExecuteAsync(ReleaseSql, new { id, now }, transaction) == 1)
            {
                await MovedAsync(connection, transaction, id, MessageStatus.Held, MessageStatus.Queued,
                    new NewEvent(MessageEventType.Released, MessageStatus.Held, MessageStatus.Queued, actor, "release time reached"), "release time reached", now);
                released++;
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return released;
    }

    /// <summary>
    /// Claims up to <paramref name="batch"/> due messages for <paramref name="owner"/> until
    /// <paramref name="leaseUntil"/>: queued ones whose attempt is due, and sending ones whose lease
    /// expired (taken over). One statement of the dialect for the whole batch, the same as every work queue's (<see cref="WorkQueue"/>).
    /// </summary>
    public async Task<IReadOnlyList<ClaimedMessage>> ClaimDueAsync(string owner, long now, long leaseUntil, int batch, CancellationToken cancellationToken = default)
    {
        rules.Require(MessageStatus.Queued, MessageStatus.Sending);
        await using var connection = await db.OpenAsync(cancellationToken);
        // As every queue: an idle poll reads, and leaves SQLite's write lock to the submissions.
        if (await connection.ExecuteScalarAsync<int>(new CommandDefinition(Queue.AnyDueSql, new { now }, cancellationToken: cancellationToken)) == 0)
        {
            return [];
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var expired = (await connection.QueryAsync<(string Id, string? LeaseOwner)>(ExpiredLeasesSql, new { now }, transaction))
            .ToDictionary(e => e.Id, e => e.LeaseOwner);
        if (expired.Count > 0)
        {
            // Only now is the claim about to take a lease over.
            rules.Require(MessageStatus.Sending, MessageStatus.Sending);
        }
        var claimed = await Queue.ClaimAsync<ClaimedMessage>(connection, transaction, db.Dialect, owner, now, leaseUntil, batch, cancellationToken: cancellationToken);
        if (claimed.Count > 0)
        {
            // The claim took each event's number; one statement writes the batch's events.
            await connection.ExecuteAsync(InsertClaimEventSql, claimed.Select(c => expired.TryGetValue(c.Id, out var previous)
                ? new { c.Id, c.EventSeq, c.TenantId, fromStatus = MessageStatus.Sending, actor = $"worker:{owner}", reason = $"attempt {c.Attempts}: lease of {previous} expired, taken over", now }
                : new { c.Id, c.EventSeq, c.TenantId, fromStatus = MessageStatus.Queued, actor = $"worker:{owner}", reason = $"attempt {c.Attempts}", now }), transaction);
            foreach (var c in claimed)
            {
                await HandleAsync(connection, transaction, new MessageMoved(c.Id, expired.ContainsKey(c.Id) ? MessageStatus.Sending : MessageStatus.Queued,
                    MessageStatus.Sending, "claimed for delivery", now));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return claimed;
    }

    /// <summary>
    /// Gives back claims this worker never started (it is stopping): they are due again at once
    /// instead of waiting for the lease to expire, and the unused attempt is not counted.
    /// </summary>
    public async Task<int> ReturnUnstartedAsync(IReadOnlyCollection<string> ids, string owner, long now)
    {
        if (ids.Count == 0)
        {
            return 0;
        }

        rules.Require(MessageStatus.Sending, MessageStatus.Queued);
        await using var connection = await db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var returned = 0;
        foreach (var id in ids)
        {
            if (await connection.ExecuteAsync(ReturnUnstartedSql, new { id, owner, now }, transaction) == 1)
            {
                await MovedAsync(connection, transaction, id, MessageStatus.Sending, MessageStatus.Queued,
                    new NewEvent(MessageEventType.DeliveryDeferred, MessageStatus.Sending, MessageStatus.Queued, $"worker:{owner}", "worker stopping before the attempt began"),
                    "returned unstarted", now);
                returned++;
            }
        }

        await transaction.CommitAsync();
        return returned;
    }

    /// <summary>
    /// A delivery attempt's move out of sending, inside the caller's transaction (group commit);
    /// false when <see cref="DeliveryOutcome.Owner"/> no longer holds the lease. The password mail
    /// follows only a mail the relay accepted, and never one that failed.
    /// </summary>
    public async Task<bool> FinishDeliveryAsync(DbConnection connection, DbTransaction transaction, DeliveryOutcome o)
    {
        rules.Require(MessageStatus.Sending, o.To);
        if (await connection.ExecuteAsync(FinishDeliverySql,
                new { id = o.Id, owner = o.Owner, to = o.To, lastError = Truncate(o.LastError, 2000), dueAt = o.DueAt, now = o.Now }, transaction) == 0)
        {
            return false;
        }

        await MovedAsync(connection, transaction, o.Id, MessageStatus.Sending, o.To, o.Event,
            o.To == MessageStatus.Failed ? $"the mail failed: {o.LastError}" : $"the message was {o.To}", o.Now, o.Zipped);
        return true;
    }

    /// <summary>
    /// The message's move out of awaiting_approval when its request ends, inside the approval's
    /// transaction; false when it had left meanwhile (e.g. cancelled): nothing to decide any more.
    /// </summary>
    public async Task<bool> LeaveApprovalAsync(DbConnection connection, DbTransaction transaction, string id, string to, long? releaseAt, string? holdMode,
        NewEvent e, long now)
    {
        rules.Require(MessageStatus.AwaitingApproval, to);
        if (await connection.ExecuteAsync(LeaveApprovalSql, new { id, to, releaseAt, holdMode, now }, transaction) == 0)
        {
            return false;
        }

        await MovedAsync(connection, transaction, id, MessageStatus.AwaitingApproval, to, e, $"the message was {to}", now);
        return true;
    }

    // The update above took the event's number; then what ends with the message.
    private async Task MovedAsync(DbConnection connection, DbTransaction transaction, string id, string from, string to, NewEvent e, string reason, long now,
        bool zipped = true)
    {
        await connection.ExecuteAsync(MessageStore.InsertTakenEventSql, MessageStore.EventArgs(id, e, now), transaction);
        await HandleAsync(connection, transaction, new MessageMoved(id, from, to, reason, now, zipped));
    }

    private async Task HandleAsync(DbConnection connection, DbTransaction transaction, MessageMoved moved)
    {
        foreach (var handler in _handlers)
        {
            await handler.OnMovedAsync(connection, transaction, moved);
        }
    }

    private static string? Truncate(string? value, int max) =>
        value is null || value.Length <= max ? value : value[..max];
}
