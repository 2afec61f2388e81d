using System.Data.Common;
using Dapper;
using SendGate.Core.Data;
using SendGate.Core.Messages;

namespace SendGate.Core.Encryption;

public static class PasswordMailStatus
{
    /// <summary>Not in the queue yet: the main mail has not been accepted by the relay.</summary>
    public const string Waiting = "waiting";

    /// <summary>In the queue, due after the delay (the API calls it "scheduled").</summary>
    public const string Queued = WorkQueue.Queued;
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    /// <summary>The word the published API uses for a stored status: a queued password mail is "scheduled".</summary>
    public static string Published(string status) => status == Queued ? "scheduled" : status;
}

/// <summary>Password mail events, recorded on the main message (its timeline tells the whole story).</summary>
public static class PasswordMailEventType
{
    public const string AttachmentsEncrypted = "message.attachments_encrypted";
    public const string Scheduled = "message.password_scheduled";
    public const string Sent = "message.password_sent";
    public const string Failed = "message.password_failed";
    public const string Cancelled = "message.password_cancelled";
}

public sealed record PasswordMailRow
{
    public string Id { get; init; } = "";
    public string MessageId { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string Status { get; init; } = "";
    public string ZipName { get; init; } = "";
    public string PasswordTo { get; init; } = "";
    public long DelayMs { get; init; }
    public byte[]? PasswordCiphertext { get; init; }
    public string PasswordKeyId { get; init; } = "";
    public string PasswordHash { get; init; } = "";
    public string? Recipients { get; init; }
    public string? MessageIdHeader { get; init; }
    public long? DueAt { get; init; }
    public int Attempts { get; init; }
    public string? LeaseOwner { get; init; }
    public long? LeaseUntil { get; init; }
    public string? LastError { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
    public long? SentAt { get; init; }
}

/// <summary>What recording the main message's outcome does to its password mail, in the same transaction.</summary>
public abstract record PasswordMailChange
{
    /// <summary>
    /// The relay accepted the main mail: the password mail is due after its delay. Its recipients
    /// are read when it is sent: those the main mail reached (every attempt counted).
    /// </summary>
    public sealed record Schedule : PasswordMailChange;

    /// <summary>The main mail will not reach anyone (failed, cancelled): neither may the password.</summary>
    public sealed record Cancel(string Reason) : PasswordMailChange;
}

/// <summary>SQL for password mails. Every change is compare-and-swap on the status (and the lease).</summary>
public sealed class PasswordMailStore(IDbConnectionFactory db, TimeProvider time)
{
    internal static readonly WorkQueue Queue = new("password_mails",
        ["id", "message_id", "tenant_id", "status", "zip_name", "password_to", "delay_ms", "password_ciphertext", "password_key_id", "password_hash",
         "recipients", "message_id_header", "due_at", "attempts", "lease_owner", "lease_until", "last_error", "created_at", "updated_at", "sent_at"]);

    private const string Columns = """
        id AS Id, message_id AS MessageId, tenant_id AS TenantId, status AS Status, zip_name AS ZipName, password_to AS PasswordTo,
        delay_ms AS DelayMs, password_ciphertext AS PasswordCiphertext, password_key_id AS PasswordKeyId, password_hash AS PasswordHash,
        recipients AS Recipients, message_id_header AS MessageIdHeader, due_at AS DueAt, attempts AS Attempts, lease_owner AS LeaseOwner,
        lease_until AS LeaseUntil, last_error AS LastError, created_at AS CreatedAt, updated_at AS UpdatedAt, sent_at AS SentAt
        """;

    private const string ByMessageSql = $"SELECT {Columns} FROM password_mails WHERE message_id = @messageId";

    // Only the worker holding the main message's lease may create its password mail.
    private const string InsertWaitingSql = """
        INSERT INTO password_mails (id, message_id, tenant_id, status, zip_name, password_to, delay_ms, password_ciphertext,
                                    password_key_id, password_hash, attempts, created_at, updated_at)
        SELECT @id, m.id, m.tenant_id, 'waiting', @zipName, @passwordTo, @delayMs, @ciphertext, @keyId, @hash, 0, @now, @now
          FROM messages m WHERE m.id = @messageId AND m.status = 'sending' AND m.lease_owner = @owner
        """;

    private const string ScheduleSql = """
        UPDATE password_mails SET status = 'queued', due_at = @now + delay_ms, updated_at = @now
         WHERE message_id = @messageId AND status = 'waiting'
        """;

    private const string CancelSql = """
        UPDATE password_mails SET status = 'cancelled', password_ciphertext = NULL, last_error = @reason, updated_at = @now
         WHERE message_id = @messageId AND status = 'waiting'
        """;

    // The password is erased as soon as nothing can need it any more; its hash stays.
    private const string FinishSql = """
        UPDATE password_mails
           SET status = @to, lease_owner = NULL, lease_until = NULL, last_error = @lastError, due_at = @dueAt, updated_at = @now,
               sent_at = CASE WHEN @to = 'sent' THEN @now ELSE sent_at END,
               password_ciphertext = CASE WHEN @to IN ('sent', 'failed', 'cancelled') THEN NULL ELSE password_ciphertext END,
               message_id_header = COALESCE(@messageIdHeader, message_id_header),
               recipients = COALESCE(@recipients, recipients)
         WHERE id = @id AND status = 'sending' AND lease_owner = @owner
        """;

    public async Task<PasswordMailRow?> GetByMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<PasswordMailRow>(new CommandDefinition(ByMessageSql, new { messageId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Creates the waiting password mail of a message being delivered, with its event; false when
    /// <paramref name="owner"/> no longer holds the message's lease.
    /// </summary>
    public async Task<bool> InsertWaitingAsync(PasswordMailRow row, string owner, NewEvent? e, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(InsertWaitingSql, new
        {
            id = row.Id, messageId = row.MessageId, zipName = row.ZipName, passwordTo = row.PasswordTo, delayMs = row.DelayMs, ciphertext = row.PasswordCiphertext,
            keyId = row.PasswordKeyId, hash = row.PasswordHash, now = row.CreatedAt, owner,
        }, transaction);
        if (inserted == 0)
        {
            return false;
        }

        if (e is not null)
        {
            await MessageStore.AppendEventAsync(connection, transaction, row.MessageId, e, row.CreatedAt);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Applies what the main message's outcome means for its password mail (if it has one).</summary>
    public static async Task ApplyAsync(DbConnection connection, DbTransaction transaction, string messageId, PasswordMailChange change, long now)
    {
        switch (change)
        {
            case PasswordMailChange.Schedule:
                if (await connection.ExecuteAsync(ScheduleSql, new { messageId, now }, transaction) == 1)
                {
                    await MessageStore.AppendEventAsync(connection, transaction, messageId, new NewEvent(PasswordMailEventType.Scheduled, null, null, "system",
                        "the relay accepted the mail; its password mail follows after the delay"), now);
                }

                break;
            case PasswordMailChange.Cancel cancel:
                if (await connection.ExecuteAsync(CancelSql, new { messageId, reason = cancel.Reason, now }, transaction) == 1)
                {
                    await MessageStore.AppendEventAsync(connection, transaction, messageId,
                        new NewEvent(PasswordMailEventType.Cancelled, null, null, "system", $"password mail cancelled: {cancel.Reason}"), now);
                }

                break;
        }
    }

    /// <summary>Claims up to <paramref name="batch"/> due password mails (see <see cref="WorkQueue"/>).</summary>
    public Task<ClaimedBatch<PasswordMailRow>> ClaimDueAsync(string owner, TimeSpan leaseLength, TimeSpan longestAttempt, int batch,
        CancellationToken cancellationToken = default) =>
        Queue.ClaimBatchAsync<PasswordMailRow>(db, time, owner, leaseLength, longestAttempt, batch, p => p.Id, cancellationToken: cancellationToken);

    /// <summary>Records an attempt's outcome (only while <paramref name="owner"/> holds the lease) and, when final, the main message's event.</summary>
    public async Task<bool> FinishAsync(PasswordMailRow row, string owner, string to, string? lastError, long? dueAt, string? messageIdHeader,
        IReadOnlyList<string>? recipients, NewEvent? e, long now)
    {
        await using var connection = await db.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var changed = await connection.ExecuteAsync(FinishSql, new
        {
            id = row.Id, owner, to, lastError = lastError is { Length: > 2000 } ? lastError[..2000] : lastError, dueAt, messageIdHeader, now,
            recipients = recipients is null ? null : System.Text.Json.JsonSerializer.Serialize(recipients),
        }, transaction);
        if (changed == 0)
        {
            return false;
        }

        if (e is not null)
        {
            await MessageStore.AppendEventAsync(connection, transaction, row.MessageId, e, now);
        }

        await transaction.CommitAsync();
        return true;
    }
}
