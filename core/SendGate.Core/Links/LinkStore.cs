using System.Data.Common;
using System.Text.Json;
using Dapper;
using SendGate.Core.Data;
using SendGate.Core.Messages;

namespace SendGate.Core.Links;

public static class LinkStatus
{
    public const string Active = "active";
    public const string Stopped = "stopped";
    public const string Expired = "expired";

    /// <summary>Ended with its message (cancelled before delivery, purged by retention).</summary>
    public const string Ended = "ended";

    /// <summary>The status as people and callers see it: an active link past its expiry reads as expired before the sweep records it.</summary>
    public static string Published(LinkRow link, long now) => link.Status == Active && link.ExpiresAt <= now ? Expired : link.Status;
}

/// <summary>Download link events, recorded on the message (its timeline tells the whole story).</summary>
public static class LinkEventType
{
    public const string Created = "message.link_created";
    public const string CodeSent = "message.link_code_sent";
    public const string Downloaded = "message.link_downloaded";
    public const string Stopped = "message.link_stopped";
    public const string Expired = "message.link_expired";
}

public sealed record LinkRow
{
    public string Id { get; init; } = "";
    public string MessageId { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string TokenHash { get; init; } = "";
    public byte[]? TokenCiphertext { get; init; }
    public string TokenKeyId { get; init; } = "";
    public string Status { get; init; } = "";
    public long ExpiresAt { get; init; }
    public int? MaxDownloadsPerFile { get; init; }
    public bool VerifyRecipient { get; init; }
    public bool NotifySender { get; init; }
    public long CreatedAt { get; init; }
    public long? EndedAt { get; init; }
    public string? EndedBy { get; init; }
    public string? EndedReason { get; init; }
}

public sealed record LinkFileRow
{
    public string Id { get; init; } = "";
    public string LinkId { get; init; } = "";
    public string TenantId { get; init; } = "";
    public int Position { get; init; }
    public string FileName { get; init; } = "";
    public string ContentType { get; init; } = "";
    public long Size { get; init; }
    public string StoreKey { get; init; } = "";
    public int Downloads { get; init; }
    public long? RemovedAt { get; init; }
}

/// <summary>One download as recorded: who (the verified address, when there is one), when, from where, which file.</summary>
public sealed record LinkDownload(string FileId, string? Address, string? Ip, string? UserAgent, long At);

/// <summary>SQL for download links; every status change is compare-and-swap on the status.</summary>
public sealed class LinkStore(IDbConnectionFactory db)
{
    private const string LinkColumns = """
        id AS Id, message_id AS MessageId, tenant_id AS TenantId, token_hash AS TokenHash, token_ciphertext AS TokenCiphertext,
        token_key_id AS TokenKeyId, status AS Status, expires_at AS ExpiresAt, max_downloads_per_file AS MaxDownloadsPerFile,
        verify_recipient AS VerifyRecipient, notify_sender AS NotifySender, created_at AS CreatedAt, ended_at AS EndedAt,
        ended_by AS EndedBy, ended_reason AS EndedReason
        """;

    private const string FileColumns = """
        id AS Id, link_id AS LinkId, tenant_id AS TenantId, position AS Position, file_name AS FileName, content_type AS ContentType,
        size AS Size, store_key AS StoreKey, downloads AS Downloads, removed_at AS RemovedAt
        """;

    // Only the lease holder of a message being sent creates its link.
    private const string InsertLinkSql = """
        INSERT INTO download_links (id, message_id, tenant_id, token_hash, token_ciphertext, token_key_id, status, expires_at,
                                    max_downloads_per_file, verify_recipient, notify_sender, created_at, updated_at)
        SELECT @Id, m.id, m.tenant_id, @TokenHash, @TokenCiphertext, @TokenKeyId, 'active', @ExpiresAt, @MaxDownloadsPerFile,
               @VerifyRecipient, @NotifySender, @CreatedAt, @CreatedAt
          FROM messages m WHERE m.id = @MessageId AND m.status = 'sending' AND m.lease_owner = @owner
        """;

    private const string InsertFileSql = """
        INSERT INTO download_link_files (id, link_id, tenant_id, position, file_name, content_type, size, store_key, downloads)
        VALUES (@Id, @LinkId, @TenantId, @Position, @FileName, @ContentType, @Size, @StoreKey, 0)
        """;

    private static readonly string ByMessageSql = $"SELECT {LinkColumns} FROM download_links WHERE message_id = @messageId";
    private static readonly string ByTokenSql = $"SELECT {LinkColumns} FROM download_links WHERE token_hash = @tokenHash";
    private static readonly string FilesSql = $"SELECT {FileColumns} FROM download_link_files WHERE link_id = @linkId AND tenant_id = @tenantId ORDER BY position";

    // The limit is checked in the same statement that counts: two downloads at once cannot both take the last one.
    private const string CountDownloadSql = """
        UPDATE download_link_files SET downloads = downloads + 1
         WHERE id = @fileId AND tenant_id = @tenantId AND removed_at IS NULL AND (@max IS NULL OR downloads < @max)
        """;

    private const string InsertDownloadSql = """
        INSERT INTO download_link_downloads (id, link_id, file_id, tenant_id, address, ip, user_agent, at)
        VALUES (@id, @linkId, @fileId, @tenantId, @address, @ip, @userAgent, @at)
        """;

    private static readonly string ByTenantMessageSql = $"SELECT {LinkColumns} FROM download_links WHERE message_id = @messageId AND tenant_id = @tenantId";

    private const string DownloadsSql = """
        SELECT file_id AS FileId, address AS Address, ip AS Ip, user_agent AS UserAgent, at AS At
          FROM download_link_downloads WHERE link_id = @linkId AND tenant_id = @tenantId ORDER BY at, id
        """;

    // A link past its expiry that the sweep has not reached yet is expired already: it cannot be stopped.
    private const string StopSql = """
        UPDATE download_links SET status = 'stopped', ended_at = @now, ended_by = @actor, ended_reason = @reason, updated_at = @now
         WHERE id = @id AND status = 'active' AND expires_at > @now
        """;

    private const string DueToExpireSql = "SELECT id FROM download_links WHERE status = 'active' AND expires_at <= @now ORDER BY expires_at";

    private const string ExpireSql = """
        UPDATE download_links SET status = 'expired', ended_at = expires_at, ended_by = 'system', ended_reason = 'expired', updated_at = @now
         WHERE id = @id AND status = 'active' AND expires_at <= @now
        """;

    private const string MessageOfSql = "SELECT message_id FROM download_links WHERE id = @id";

    private const string EndWithMessageSql = """
        UPDATE download_links SET status = 'ended', ended_at = @now, ended_by = 'system', ended_reason = @reason, updated_at = @now, token_ciphertext = NULL
         WHERE message_id = @messageId AND status = 'active'
        """;

    private static readonly string FilesToRemoveSql = $"""
        SELECT {FileColumns} FROM download_link_files
         WHERE removed_at IS NULL AND link_id IN (SELECT id FROM download_links WHERE status <> 'active')
        """;

    private const string RemovedSql = "UPDATE download_link_files SET removed_at = @now WHERE id = @id AND removed_at IS NULL";

    private const string AnyLinkSql = "SELECT COUNT(*) FROM download_links WHERE message_id = @messageId AND tenant_id = @tenantId";

    private const string ForgetTokenSql = "UPDATE download_links SET token_ciphertext = NULL WHERE message_id = @messageId AND token_ciphertext IS NOT NULL";

    public async Task<LinkRow?> GetByMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<LinkRow>(new CommandDefinition(ByMessageSql, new { messageId }, cancellationToken: cancellationToken));
    }

    public async Task<LinkRow?> GetByTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        if (!LinkTokens.IsWellFormed(token))
        {
            return null;
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<LinkRow>(new CommandDefinition(ByTokenSql, new { tokenHash = LinkTokens.Hash(token) }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<LinkFileRow>> GetFilesAsync(LinkRow link, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<LinkFileRow>(new CommandDefinition(FilesSql, new { linkId = link.Id, tenantId = link.TenantId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The link, its files and its event in one transaction; false when <paramref name="owner"/> no longer holds the message's lease.</summary>
    public async Task<bool> InsertAsync(LinkRow link, IReadOnlyList<LinkFileRow> files, string owner, NewEvent e, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await connection.ExecuteAsync(InsertLinkSql, new
            {
                link.Id, link.MessageId, link.TokenHash, link.TokenCiphertext, link.TokenKeyId, link.ExpiresAt, link.MaxDownloadsPerFile,
                link.VerifyRecipient, link.NotifySender, link.CreatedAt, owner,
            }, transaction) == 0)
        {
            return false;
        }

        foreach (var file in files)
        {
            await connection.ExecuteAsync(InsertFileSql, file, transaction);
        }

        await MessageStore.AppendEventAsync(connection, transaction, link.MessageId, e, link.CreatedAt);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private const string DownloadsOfSql = "SELECT downloads FROM download_link_files WHERE id = @fileId";

    /// <summary>
    /// Counts one download of <paramref name="file"/> and records it; false when the file's limit
    /// is reached (nothing recorded). <paramref name="firstDownloadNotice"/> is queued when this is
    /// the file's first download (read inside the transaction that counted it: exactly once).
    /// </summary>
    public async Task<bool> RecordDownloadAsync(LinkRow link, LinkFileRow file, LinkDownload download, NewEvent? e, CancellationToken cancellationToken = default,
        Notifications.NewNotification? firstDownloadNotice = null)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await connection.ExecuteAsync(CountDownloadSql, new { fileId = file.Id, tenantId = link.TenantId, max = link.MaxDownloadsPerFile }, transaction) == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(InsertDownloadSql, new
        {
            id = $"dld_{Guid.CreateVersion7():N}", linkId = link.Id, fileId = file.Id, tenantId = link.TenantId, address = download.Address,
            ip = Truncate(download.Ip, 64), userAgent = Truncate(download.UserAgent, 1000), at = download.At,
        }, transaction);
        if (e is not null)
        {
            await MessageStore.AppendEventAsync(connection, transaction, link.MessageId, e, download.At);
        }

        if (firstDownloadNotice is not null && await connection.ExecuteScalarAsync<long>(DownloadsOfSql, new { fileId = file.Id }, transaction) == 1)
        {
            await Notifications.NotificationStore.InsertAsync(connection, transaction, [firstDownloadNotice], download.At);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<LinkRow?> GetByMessageAsync(string tenantId, string messageId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<LinkRow>(new CommandDefinition(ByTenantMessageSql, new { tenantId, messageId }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<LinkDownload>> GetDownloadsAsync(LinkRow link, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<LinkDownload>(new CommandDefinition(DownloadsSql, new { linkId = link.Id, tenantId = link.TenantId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Stops an active link, with its event; false when it had ended already (stopped, expired, ended with its message).</summary>
    public async Task<bool> StopAsync(LinkRow link, string actor, string? reason, long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await connection.ExecuteAsync(StopSql, new { id = link.Id, actor, reason = Truncate(reason, 400), now }, transaction) == 0)
        {
            return false;
        }

        await MessageStore.AppendEventAsync(connection, transaction, link.MessageId, new NewEvent(LinkEventType.Stopped, null, null, actor,
            reason is null ? "the download link was stopped" : $"the download link was stopped: {reason}", JsonSerializer.Serialize(new { linkId = link.Id })), now);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Moves every active link past its expiry to expired, each with its event; how many.</summary>
    public async Task<int> ExpireDueAsync(long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var due = (await connection.QueryAsync<string>(new CommandDefinition(DueToExpireSql, new { now }, cancellationToken: cancellationToken))).AsList();
        var expired = 0;
        foreach (var id in due)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (await connection.ExecuteAsync(ExpireSql, new { id, now }, transaction) == 1)
            {
                var messageId = await connection.ExecuteScalarAsync<string>(MessageOfSql, new { id }, transaction);
                await MessageStore.AppendEventAsync(connection, transaction, messageId!, new NewEvent(LinkEventType.Expired, null, null, "system",
                    "the download link expired; its files leave the download store", JsonSerializer.Serialize(new { linkId = id })), now);
                expired++;
            }

            await transaction.CommitAsync(cancellationToken);
        }

        return expired;
    }

    /// <summary>Files still in the download store whose link has ended.</summary>
    public async Task<IReadOnlyList<LinkFileRow>> FilesToRemoveAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<LinkFileRow>(new CommandDefinition(FilesToRemoveSql, cancellationToken: cancellationToken))).AsList();
    }

    public async Task MarkRemovedAsync(LinkFileRow file, long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(RemovedSql, new { id = file.Id, now }, cancellationToken: cancellationToken));
    }

    /// <summary>Whether any link (of any status) was recorded for the message: a store folder without one is an orphan.</summary>
    public async Task<bool> AnyAsync(string tenantId, string messageId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(AnyLinkSql, new { tenantId, messageId }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>The message ended without (further) delivery, or its content was purged: its link ends with it, in the same transaction.</summary>
    public static Task EndWithMessageAsync(DbConnection connection, DbTransaction transaction, string messageId, string reason, long now) =>
        connection.ExecuteAsync(EndWithMessageSql, new { messageId, reason = Truncate(reason, 400), now }, transaction);

    /// <summary>The token's encrypted form is dropped once no delivery attempt needs to rebuild the notice.</summary>
    internal static Task ForgetTokenAsync(DbConnection connection, DbTransaction transaction, string messageId) =>
        connection.ExecuteAsync(ForgetTokenSql, new { messageId }, transaction);

    private static string? Truncate(string? value, int length) => value is null || value.Length <= length ? value : value[..length];
}
