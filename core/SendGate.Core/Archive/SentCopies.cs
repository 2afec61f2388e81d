using System.Data.Common;
using Dapper;
using SendGate.Core.Data;
using SendGate.Core.Messages;

namespace SendGate.Core.Archive;

/// <summary>
/// The archive of what relays received: one copy per SMTP transaction that reached someone (a
/// message split for Bcc conversion or zipping has several), each a blob, with its envelope
/// recipients and whether it carried the encrypted zip.
/// </summary>
public sealed class SentCopies(IDbConnectionFactory db)
{
    private const string InsertSql = """
        INSERT INTO message_sent (message_id, part, blob_key, recipients, size, sent_at, encrypted)
        SELECT @id, COALESCE(MAX(part), 0) + 1, @key, @recipients, @size, @now, @encrypted FROM message_sent WHERE message_id = @id
        """;

    private const string ForMessageSql = """
        SELECT s.part AS Part, s.blob_key AS BlobKey, s.recipients AS Recipients, s.size AS Size, s.sent_at AS SentAt, s.encrypted AS Encrypted
          FROM message_sent s JOIN messages m ON m.id = s.message_id
         WHERE s.message_id = @id AND m.tenant_id = @tenantId ORDER BY s.part
        """;

    /// <summary>The copies of what was sent of message <paramref name="id"/>, in the order they were sent.</summary>
    public async Task<IReadOnlyList<SentCopyRow>> ForMessageAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<SentCopyRow>(new CommandDefinition(ForMessageSql, new { id, tenantId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// Records the copies of one delivery attempt inside the transaction of its outcome: a small
    /// copy's blob is written there too, with no commit of its own.
    /// </summary>
    internal static async Task RecordAsync(DbConnection connection, DbTransaction transaction, IBlobStore blobs, string messageId,
        IReadOnlyList<SentCopy> copies, long now)
    {
        foreach (var copy in copies)
        {
            await blobs.RecordAsync(connection, transaction, copy.Blob);
            await connection.ExecuteAsync(InsertSql, new
            {
                id = messageId, key = copy.Blob.Key, recipients = System.Text.Json.JsonSerializer.Serialize(copy.Recipients), size = copy.Blob.Size, now,
                encrypted = copy.Encrypted,
            }, transaction);
        }
    }
}
