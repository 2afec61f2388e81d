using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Archive;
using SendGate.Core.Audit;
using SendGate.Core.Data;

namespace SendGate.Core.Tenants;

/// <summary>What became of a request to delete a tenant.</summary>
public enum DeletionOutcome { Deleting, NotFound, LegalHold }

/// <summary>
/// Deleting a tenant: the operator's request marks it deleted (refused everywhere at once, as a
/// suspended one, and refused while any of its messages is under legal hold unless forced); the
/// worker then purges it in batches — its messages as retention would, content and records, their
/// blobs after each commit — then its keys, settings, histories and trail, and last its row. The
/// operator's trail records the request and the end.
/// </summary>
public sealed class TenantDeletion(IDbConnectionFactory db, TenantAccess access, TenantStore tenants, IBlobStore blobs, IOptions<ArchiveOptions> archive,
    OperatorTrail trail, TimeProvider time, ILogger<TenantDeletion> logger)
{
    private const int Batch = 200;

    private const string HoldsSql = "SELECT COUNT(*) FROM messages WHERE tenant_id = @tenantId AND legal_hold = 1";

    private const string MarkSql = """
        UPDATE tenants SET deleted_at = @now, suspended_at = COALESCE(suspended_at, @now), updated_at = @now
         WHERE id = @tenantId AND deleted_at IS NULL
        """;

    private const string ExistsSql = "SELECT COUNT(*) FROM tenants WHERE id = @tenantId";

    private const string DeletedSql = "SELECT id FROM tenants WHERE deleted_at IS NOT NULL";

    private const string MessagesSql = "SELECT id FROM messages WHERE tenant_id = @tenantId ORDER BY id";

    // What the tenant owns besides its messages, dependents first; the row itself last.
    private static readonly string[] TenantTablesSql =
    [
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE tenant_id = @tenantId)",
        "DELETE FROM webhook_deliveries WHERE tenant_id = @tenantId",
        "DELETE FROM webhook_secrets WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE tenant_id = @tenantId)",
        "DELETE FROM webhook_endpoints WHERE tenant_id = @tenantId",
        "DELETE FROM webhook_cursors WHERE tenant_id = @tenantId",
        "DELETE FROM approval_tokens WHERE tenant_id = @tenantId",
        "DELETE FROM approval_decisions WHERE request_id IN (SELECT id FROM approval_requests WHERE tenant_id = @tenantId)",
        "DELETE FROM approval_requests WHERE tenant_id = @tenantId",
        "DELETE FROM approval_routes WHERE tenant_id = @tenantId",
        "DELETE FROM notifications WHERE tenant_id = @tenantId",
        "DELETE FROM password_mails WHERE tenant_id = @tenantId",
        "DELETE FROM console_links WHERE tenant_id = @tenantId",
        "DELETE FROM console_people WHERE tenant_id = @tenantId",
        "DELETE FROM console_sign_in WHERE tenant_id = @tenantId",
        "DELETE FROM smtp_credentials WHERE tenant_id = @tenantId",
        "DELETE FROM smtp_connectors WHERE tenant_id = @tenantId",
        "DELETE FROM dkim_keys WHERE tenant_id = @tenantId",
        "DELETE FROM delivered_domains WHERE tenant_id = @tenantId",
        "DELETE FROM delivered_contacts WHERE tenant_id = @tenantId",
        "DELETE FROM delivered_domain_pairs WHERE tenant_id = @tenantId",
        "DELETE FROM delivered_company_names WHERE tenant_id = @tenantId",
        "DELETE FROM idempotency_keys WHERE tenant_id = @tenantId",
        "DELETE FROM message_events WHERE tenant_id = @tenantId",
        "DELETE FROM message_tags WHERE tenant_id = @tenantId",
        "DELETE FROM message_attachments WHERE tenant_id = @tenantId",
        "DELETE FROM message_rules WHERE tenant_id = @tenantId",
        "DELETE FROM policy_versions WHERE tenant_id = @tenantId",
        "DELETE FROM tenant_usage_days WHERE tenant_id = @tenantId",
        "DELETE FROM api_keys WHERE tenant_id = @tenantId",
        "DELETE FROM audit_log WHERE tenant_id = @tenantId",
        "DELETE FROM audit_heads WHERE tenant_id = @tenantId",
        "DELETE FROM tenants WHERE id = @tenantId",
    ];

    /// <summary>Marks the tenant deleted; the worker purges it (<see cref="PurgeDueAsync"/>).</summary>
    public async Task<(DeletionOutcome Outcome, long Holds)> RequestAsync(string tenantId, bool force, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(ExistsSql, new { tenantId }, cancellationToken: cancellationToken)) == 0)
        {
            return (DeletionOutcome.NotFound, 0);
        }

        var holds = await connection.ExecuteScalarAsync<long>(new CommandDefinition(HoldsSql, new { tenantId }, cancellationToken: cancellationToken));
        if (holds > 0 && !force)
        {
            return (DeletionOutcome.LegalHold, holds);
        }

        await connection.ExecuteAsync(new CommandDefinition(MarkSql, new { tenantId, now = time.NowMs() }, cancellationToken: cancellationToken));
        access.Forget(tenantId);
        tenants.ForgetTenant(tenantId);
        return (DeletionOutcome.Deleting, holds);
    }

    /// <summary>Purges every deleted tenant, a batch of messages per transaction; returns how many messages went.</summary>
    public async Task<int> PurgeDueAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> deleted;
        await using (var connection = await db.OpenAsync(cancellationToken))
        {
            deleted = (await connection.QueryAsync<string>(new CommandDefinition(DeletedSql, cancellationToken: cancellationToken))).AsList();
        }

        var purged = 0;
        foreach (var tenantId in deleted)
        {
            purged += await PurgeAsync(tenantId, cancellationToken);
        }

        return purged;
    }

    private async Task<int> PurgeAsync(string tenantId, CancellationToken cancellationToken)
    {
        var referenced = BlobReferences.In(db);
        var count = 0;
        await using var connection = await db.OpenAsync(cancellationToken);
        while (true)
        {
            var sql = $"{MessagesSql} {db.Dialect.LimitClause}";
            var ids = (await connection.QueryAsync<string>(new CommandDefinition(sql, new { tenantId, limit = Batch }, cancellationToken: cancellationToken))).AsList();
            if (ids.Count == 0)
            {
                break;
            }

            var keys = new List<string>();
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                foreach (var id in ids)
                {
                    keys.AddRange(await MessagePurge.DeleteContentAsync(connection, transaction, id, time.NowMs()));
                    await MessagePurge.DeleteRecordAsync(connection, transaction, id, evenUnderLegalHold: true);
                }

                await transaction.CommitAsync(cancellationToken);
            }

            count += ids.Count;
            // After the commit, as retention does: a crash in between leaves blobs for the sweeper, never a reference to nothing.
            await blobs.DeleteUnusedAsync(keys, time.GetUtcNow() - archive.Value.OrphanGrace, referenced, cancellationToken);
        }

        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            foreach (var sql in TenantTablesSql)
            {
                await connection.ExecuteAsync(sql, new { tenantId }, transaction);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        access.Forget(tenantId);
        tenants.ForgetTenant(tenantId);
        await trail.RecordAsync("system:tenant-deletion", "PURGE tenant", $"tenant={tenantId}", $"{count} message(s) and the tenant's keys, settings and trail deleted", null, 200,
            cancellationToken);
        Log.TenantPurged(logger, tenantId, count);
        return count;
    }
}
