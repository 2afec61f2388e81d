using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Audit;

public sealed record AuditEntry(string TenantId, string Actor, string Action, string? Resource, string? Detail, string? Ip, int StatusCode);

public sealed record AuditRow
{
    public string TenantId { get; init; } = "";
    public long Seq { get; init; }
    public long At { get; init; }
    public string Actor { get; init; } = "";
    public string Action { get; init; } = "";
    public string? Resource { get; init; }
    public string? Detail { get; init; }
    public string? Ip { get; init; }
    public int StatusCode { get; init; }
    public string PrevHash { get; init; } = "";
    public string Hash { get; init; } = "";
}

public sealed record AuditFilter(string? Actor, string? Action, long? From, long? To, long? BeforeSeq, int Limit);

/// <summary>The outcome of checking a tenant's chain: intact, or the first entry that is not.</summary>
public sealed record AuditVerification(bool Intact, long Entries, long? FirstBrokenSeq, string? Problem);

/// <summary>
/// The tamper-evident audit trail: entries numbered per tenant, each hash covering its content and
/// the previous hash. An entry changed, removed or inserted in the database breaks the chain at
/// that point, and <see cref="VerifyAsync"/> names it.
/// </summary>
public sealed class AuditTrail(IDbConnectionFactory db, TimeProvider time)
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    private const string Columns = """
        tenant_id AS TenantId, seq AS Seq, at AS At, actor AS Actor, action AS Action, resource AS Resource, detail AS Detail, ip AS Ip,
        status_code AS StatusCode, prev_hash AS PrevHash, hash AS Hash
        """;

    private const string LastSql = "SELECT seq AS Seq, hash AS Hash FROM audit_log WHERE tenant_id = @tenantId AND seq = (SELECT MAX(seq) FROM audit_log WHERE tenant_id = @tenantId)";

    private const string InsertSql = """
        INSERT INTO audit_log (tenant_id, seq, at, actor, action, resource, detail, ip, status_code, prev_hash, hash)
        VALUES (@TenantId, @Seq, @At, @Actor, @Action, @Resource, @Detail, @Ip, @StatusCode, @PrevHash, @Hash)
        """;

    private const string AllSql = $"SELECT {Columns} FROM audit_log WHERE tenant_id = @tenantId ORDER BY seq";

    public async Task<AuditRow> RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        // The next number is taken under the write lock of the transaction; two writers racing for
        // it collide on the primary key and the loser simply takes the next one.
        for (var attempt = 0; ; attempt++)
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var last = await connection.QuerySingleOrDefaultAsync<(long Seq, string Hash)?>(LastSql, new { tenantId = entry.TenantId }, transaction);
            var row = new AuditRow
            {
                TenantId = entry.TenantId, Seq = (last?.Seq ?? 0) + 1, At = time.NowMs(), Actor = Cut(entry.Actor, 400)!, Action = Cut(entry.Action, 200)!,
                Resource = Cut(entry.Resource, 400), Detail = Cut(entry.Detail, 2000), Ip = Cut(entry.Ip, 64), StatusCode = entry.StatusCode,
                PrevHash = last?.Hash ?? Genesis,
            };
            row = row with { Hash = HashOf(row) };
            try
            {
                await connection.ExecuteAsync(InsertSql, row, transaction);
                await transaction.CommitAsync(cancellationToken);
                return row;
            }
            catch (DbException ex) when (DbErrors.IsUniqueViolation(ex) && attempt < 10)
            {
                // Someone else took this number; read the new end of the chain and try again.
            }
        }
    }

    public async Task<IReadOnlyList<AuditRow>> ListAsync(string tenantId, AuditFilter filter, CancellationToken cancellationToken = default)
    {
        var sql = new StringBuilder($"SELECT {Columns} FROM audit_log WHERE tenant_id = @tenantId");
        var args = new DynamicParameters(new { tenantId, limit = filter.Limit });
        if (filter.Actor is not null)
        {
            sql.Append(" AND actor = @actor");
            args.Add("actor", filter.Actor);
        }

        if (filter.Action is not null)
        {
            sql.Append(@" AND action LIKE @action ESCAPE '\'");
            args.Add("action", "%" + filter.Action.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%");
        }

        if (filter.From is not null)
        {
            sql.Append(" AND at >= @from");
            args.Add("from", filter.From);
        }

        if (filter.To is not null)
        {
            sql.Append(" AND at < @to");
            args.Add("to", filter.To);
        }

        if (filter.BeforeSeq is not null)
        {
            sql.Append(" AND seq < @beforeSeq");
            args.Add("beforeSeq", filter.BeforeSeq);
        }

        sql.Append(" ORDER BY seq DESC ").Append(db.Dialect.LimitClause);
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<AuditRow>(new CommandDefinition(sql.ToString(), args, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<AuditVerification> VerifyAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var previous = Genesis;
        long count = 0, expected = 1;
        foreach (var row in await connection.QueryAsync<AuditRow>(new CommandDefinition(AllSql, new { tenantId }, cancellationToken: cancellationToken)))
        {
            count++;
            if (row.Seq != expected)
            {
                return new AuditVerification(false, count, expected, $"entry {expected} is missing (the next one is {row.Seq})");
            }

            if (row.PrevHash != previous)
            {
                return new AuditVerification(false, count, row.Seq, $"entry {row.Seq} does not follow entry {row.Seq - 1} (its previous hash differs)");
            }

            if (HashOf(row) != row.Hash)
            {
                return new AuditVerification(false, count, row.Seq, $"entry {row.Seq} was altered (its content no longer matches its hash)");
            }

            previous = row.Hash;
            expected++;
        }

        return new AuditVerification(true, count, null, null);
    }

    /// <summary>SHA-256 over every field, length-prefixed so that no two entries can share an encoding.</summary>
    public static string HashOf(AuditRow row)
    {
        var text = new StringBuilder();
        foreach (var field in new[]
                 {
                     row.TenantId, row.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), row.At.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     row.Actor, row.Action, row.Resource ?? "\0", row.Detail ?? "\0", row.Ip ?? "\0",
                     row.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), row.PrevHash,
                 })
        {
            text.Append(field.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(':').Append(field).Append('|');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string? Cut(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
