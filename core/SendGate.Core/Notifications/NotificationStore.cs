using System.Data.Common;
using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Notifications;

public static class NotificationKind
{
    public const string ApprovalRequest = "approval_request";
    public const string ApprovalReminder = "approval_reminder";
    public const string SenderOutcome = "sender_outcome";

    /// <summary>To the sender: a rule holds her mail for a re-check or sends it for approval; links to it on the console.</summary>
    public const string HoldNotice = "hold_notice";

    /// <summary>A link that signs a person in to the console.</summary>
    public const string SignInLink = "sign_in_link";

    /// <summary>To a recipient of a mail whose attachments became a download link: the one-time code that opens it.</summary>
    public const string LinkCode = "link_code";

    /// <summary>To the sender of a mail whose link asks for it: a file of the mail was downloaded for the first time.</summary>
    public const string LinkDownloaded = "link_downloaded";
}

/// <summary>A notification to queue with the change it reports.</summary>
/// <summary>A mail to queue; <paramref name="MessageId"/> is null only for a sign-in link, which is about no message.</summary>
public sealed record NewNotification(string TenantId, string? MessageId, string? ApprovalId, string Kind, string Recipient, string? Data = null);

public sealed record NotificationRow
{
    public string Id { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string? MessageId { get; init; }
    public string? ApprovalId { get; init; }
    public string Kind { get; init; } = "";
    public string Recipient { get; init; } = "";
    public string? Data { get; init; }
    public string Status { get; init; } = "";
    public int Attempts { get; init; }
}

public sealed record ApprovalTokenRow
{
    public string RequestId { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string Approver { get; init; } = "";
    public int Level { get; init; }
    public long ExpiresAt { get; init; }
    public long? UsedAt { get; init; }
}

/// <summary>SQL for notification mails and approval-link tokens.</summary>
public sealed class NotificationStore(IDbConnectionFactory db, TimeProvider time)
{
    internal static readonly WorkQueue Queue = new("notifications",
        ["id", "tenant_id", "message_id", "approval_id", "kind", "recipient", "data", "status", "attempts"]);

    private const string Columns = """
        id AS Id, tenant_id AS TenantId, message_id AS MessageId, approval_id AS ApprovalId, kind AS Kind, recipient AS Recipient,
        data AS Data, status AS Status, attempts AS Attempts
        """;

    private const string InsertSql = """
        INSERT INTO notifications (id, tenant_id, message_id, approval_id, kind, recipient, data, status, due_at, attempts, created_at, updated_at)
        VALUES (@Id, @TenantId, @MessageId, @ApprovalId, @Kind, @Recipient, @Data, 'queued', @now, 0, @now, @now)
        """;

    private const string ForMessageSql = $"SELECT {Columns} FROM notifications WHERE message_id = @messageId ORDER BY created_at, id";

    private const string FinishSql = """
        UPDATE notifications
           SET status = @to, lease_owner = NULL, lease_until = NULL, last_error = @lastError, due_at = COALESCE(@dueAt, due_at), updated_at = @now,
               sent_at = CASE WHEN @to = 'sent' THEN @now ELSE sent_at END
         WHERE id = @id AND status = 'sending' AND lease_owner = @owner
        """;

    private const string InsertTokenSql = """
        INSERT INTO approval_tokens (token_hash, request_id, tenant_id, approver, level, expires_at, created_at)
        VALUES (@hash, @requestId, @tenantId, @approver, @level, @expiresAt, @now)
        """;

    private const string TokenSql = """
        SELECT request_id AS RequestId, tenant_id AS TenantId, approver AS Approver, level AS Level, expires_at AS ExpiresAt, used_at AS UsedAt
          FROM approval_tokens WHERE token_hash = @hash
        """;

    // Single use: the first POST takes it, whatever comes after.
    private const string UseTokenSql = "UPDATE approval_tokens SET used_at = @now WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now";

    public static async Task InsertAsync(DbConnection connection, DbTransaction transaction, IEnumerable<NewNotification> notifications, long now)
    {
        var rows = notifications.Select(n => new
        {
            Id = $"ntf_{Guid.CreateVersion7():N}", n.TenantId, n.MessageId, n.ApprovalId, n.Kind, n.Recipient, n.Data, now,
        }).ToList();
        if (rows.Count > 0)
        {
            await connection.ExecuteAsync(InsertSql, rows, transaction);
        }
    }

    /// <summary>Claims up to <paramref name="batch"/> due notifications (see <see cref="WorkQueue"/>).</summary>
    public Task<ClaimedBatch<NotificationRow>> ClaimDueAsync(string owner, TimeSpan leaseLength, TimeSpan longestAttempt, int batch,
        CancellationToken cancellationToken = default) =>
        Queue.ClaimBatchAsync<NotificationRow>(db, time, owner, leaseLength, longestAttempt, batch, n => n.Id, cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<NotificationRow>> ForMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<NotificationRow>(new CommandDefinition(ForMessageSql, new { messageId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<bool> FinishAsync(string id, string owner, string to, string? lastError, long? dueAt, long now)
    {
        await using var connection = await db.OpenAsync();
        return await connection.ExecuteAsync(FinishSql, new { id, owner, to, lastError, dueAt, now }) == 1;
    }

    /// <summary>A fresh link token for one approver of one level; only its hash is stored.</summary>
    public async Task<string> CreateTokenAsync(string requestId, string tenantId, string approver, int level, long expiresAt, long now)
    {
        var token = LinkTokens.Create();
        await using var connection = await db.OpenAsync();
        await connection.ExecuteAsync(InsertTokenSql, new { hash = LinkTokens.Hash(token), requestId, tenantId, approver, level, expiresAt, now });
        return token;
    }

    public async Task<ApprovalTokenRow?> FindTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApprovalTokenRow>(new CommandDefinition(TokenSql, new { hash = LinkTokens.Hash(token) }, cancellationToken: cancellationToken));
    }

    /// <summary>Consumes the token; false when it was used already or has expired.</summary>
    public async Task<bool> UseTokenAsync(string token, long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(UseTokenSql, new { hash = LinkTokens.Hash(token), now }, cancellationToken: cancellationToken)) == 1;
    }
}
