using System.Data.Common;
using Dapper;

namespace SendGate.Core.Archive;

/// <summary>
/// How a message is forgotten, in one place for retention and for a deleted tenant: its content
/// (the stored original and sent copies, whose blob keys are returned so the caller deletes the
/// blobs after its commit), and its whole record with everything that hangs off it.
/// </summary>
internal static class MessagePurge
{
    private const string DeleteContentSql = "DELETE FROM message_content WHERE message_id = @id";

    private const string BlobKeysSql = """
        SELECT blob_key FROM message_originals WHERE message_id = @id
        UNION SELECT blob_key FROM message_sent WHERE message_id = @id
        """;

    private const string DeleteOriginalSql = "DELETE FROM message_originals WHERE message_id = @id";
    private const string DeleteSentSql = "DELETE FROM message_sent WHERE message_id = @id";

    // Everything that hangs off a message, dependents first; the message last, and only without a legal hold
    // unless the whole tenant goes (@anyHold).
    private static readonly string[] DeleteRecordSql =
    [
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE message_id = @id)",
        "DELETE FROM webhook_deliveries WHERE message_id = @id",
        "DELETE FROM notifications WHERE message_id = @id",
        "DELETE FROM approval_tokens WHERE request_id IN (SELECT id FROM approval_requests WHERE message_id = @id)",
        "DELETE FROM approval_decisions WHERE request_id IN (SELECT id FROM approval_requests WHERE message_id = @id)",
        "DELETE FROM approval_requests WHERE message_id = @id",
        "DELETE FROM password_mails WHERE message_id = @id",
        "DELETE FROM download_link_downloads WHERE link_id IN (SELECT id FROM download_links WHERE message_id = @id)",
        "DELETE FROM download_link_codes WHERE link_id IN (SELECT id FROM download_links WHERE message_id = @id)",
        "DELETE FROM download_link_files WHERE link_id IN (SELECT id FROM download_links WHERE message_id = @id)",
        "DELETE FROM download_links WHERE message_id = @id",
        "DELETE FROM message_tags WHERE message_id = @id",
        "DELETE FROM message_attachments WHERE message_id = @id",
        "DELETE FROM message_rules WHERE message_id = @id",
        "DELETE FROM message_events WHERE message_id = @id",
        "DELETE FROM message_recipients WHERE message_id = @id",
        "DELETE FROM messages WHERE id = @id AND (legal_hold = 0 OR @anyHold = 1)",
    ];

    /// <summary>Deletes the message's content rows, and ends its download link (its files go with the next sweep); the blob keys they referenced.</summary>
    public static async Task<IReadOnlyList<string>> DeleteContentAsync(DbConnection connection, DbTransaction transaction, string id, long now)
    {
        await connection.ExecuteAsync(DeleteContentSql, new { id }, transaction);
        await Links.LinkStore.EndWithMessageAsync(connection, transaction, id, "the message's content was purged", now);
        var blobKeys = (await connection.QueryAsync<string>(BlobKeysSql, new { id }, transaction)).AsList();
        await connection.ExecuteAsync(DeleteOriginalSql, new { id }, transaction);
        await connection.ExecuteAsync(DeleteSentSql, new { id }, transaction);
        return blobKeys;
    }

    /// <summary>Deletes the message's record; one under legal hold only when <paramref name="evenUnderLegalHold"/>.</summary>
    public static async Task DeleteRecordAsync(DbConnection connection, DbTransaction transaction, string id, bool evenUnderLegalHold = false)
    {
        foreach (var sql in DeleteRecordSql)
        {
            await connection.ExecuteAsync(sql, new { id, anyHold = evenUnderLegalHold ? 1 : 0 }, transaction);
        }
    }
}
