using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Audit;
using SendGate.Core.Data;
using SendGate.Core.Messages;

namespace SendGate.Core.Archive;

/// <summary>
/// Forgets what the tenant's retention says to forget: the content of finished messages older
/// than the retention period — and, unless the tenant keeps metadata, the whole record — except
/// messages under legal hold. Every purge is an audit entry.
/// </summary>
public sealed class RetentionService(
    IDbConnectionFactory db, AuditTrail audit, IBlobStore blobs, IOptions<ArchiveOptions> archive, TimeProvider time, ILogger<RetentionService> logger)
{
    private const string TenantsSql = "SELECT id AS Id, retention AS Retention, keep_metadata AS KeepMetadata FROM tenants WHERE retention IS NOT NULL";

    private const string ExpiredSql = """
        SELECT id FROM messages
         WHERE tenant_id = @tenantId AND created_at < @before AND legal_hold = 0 AND content_purged_at IS NULL
           AND status IN ('sent', 'failed', 'cancelled', 'rejected')
         ORDER BY created_at
        """;

    private const string MarkPurgedSql = """
        UPDATE messages SET content_purged_at = @now, updated_at = @now WHERE id = @id AND legal_hold = 0 AND content_purged_at IS NULL
        """;

    /// <summary>Purges what is due for every tenant with a retention; returns how many messages.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken = default)
    {
        var purged = 0;
        IReadOnlyList<(string Id, string Retention, bool KeepMetadata)> tenants;
        await using (var connection = await db.OpenAsync(cancellationToken))
        {
            tenants = (await connection.QueryAsync<(string, string, bool)>(new CommandDefinition(TenantsSql, cancellationToken: cancellationToken))).AsList();
        }

        var referenced = BlobReferences.In(db);
        foreach (var (tenantId, retention, keepMetadata) in tenants)
        {
            var now = time.NowMs();
            var before = now - (long)System.Xml.XmlConvert.ToTimeSpan(retention).TotalMilliseconds;
            var count = 0;
            await using var connection = await db.OpenAsync(cancellationToken);
            foreach (var id in (await connection.QueryAsync<string>(new CommandDefinition(ExpiredSql, new { tenantId, before }, cancellationToken: cancellationToken))).AsList())
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                if (await connection.ExecuteAsync(MarkPurgedSql, new { id, now }, transaction) == 0)
                {
                    continue;
                }

                var blobKeys = await MessagePurge.DeleteContentAsync(connection, transaction, id, now);
                if (keepMetadata)
                {
                    await MessageStore.AppendEventAsync(connection, transaction, id, new NewEvent(MessageEventType.ContentPurged, null, null, "retention",
                        $"content older than the retention ({retention}) deleted; the record is kept"), now);
                }
                else
                {
                    await MessagePurge.DeleteRecordAsync(connection, transaction, id);
                }

                await transaction.CommitAsync(cancellationToken);
                count++;

                // Blobs go after the commit: a crash in between leaves an unreferenced blob for the sweeper, never a
                // reference to nothing. Content-addressed: another message, or a submission being stored right now,
                // may hold the same bytes, which the store checks.
                await blobs.DeleteUnusedAsync(blobKeys, time.GetUtcNow() - archive.Value.OrphanGrace, referenced, cancellationToken);
            }

            if (count > 0)
            {
                await audit.RecordAsync(new AuditEntry(tenantId, "system:retention", "PURGE messages", null,
                    $"{count} message(s) created before {Rfc3339.Format(Clock.FromMs(before))}: {(keepMetadata ? "content deleted, records kept" : "deleted")} (retention {retention})", null, 200),
                    cancellationToken);
                Log.RetentionPurged(logger, tenantId, count);
                purged += count;
            }
        }

        return purged;
    }
}
