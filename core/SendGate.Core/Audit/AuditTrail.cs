using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;
using SendGate.Core.Encryption;

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
    public int ChainVersion { get; init; } = AuditTrail.KeyedChain;
}

public sealed record AuditFilter(string? Actor, string? Action, long? From, long? To, long? BeforeSeq, int Limit);

/// <summary>What <see cref="AuditTrail.VerifyAsync"/> can find wrong with a trail; the first one found is reported.</summary>
public enum AuditFinding
{
    /// <summary>An entry's content no longer matches its hash, or the entries before it were rewritten.</summary>
    Altered,

    /// <summary>Entries are missing inside the trail (a gap in the numbers).</summary>
    Removed,

    /// <summary>There are entries beyond the count the signed head vouches for.</summary>
    Inserted,

    /// <summary>Entries are missing at the end, up to the whole trail.</summary>
    Truncated,

    /// <summary>Entries exist, but the tenant's head does not.</summary>
    HeadMissing,

    /// <summary>The head is not signed with this key, or it names a different last entry.</summary>
    HeadMismatch,
}

/// <summary>
/// The outcome of checking a tenant's trail: intact, or the first entry affected (for a removed tail,
/// the first entry that is gone; for a missing or forged head, the first one after those present that
/// nothing vouches for any more) and what was found.
/// </summary>
public sealed record AuditVerification(bool Intact, long Entries, long? ExpectedEntries, long? FirstBrokenSeq, AuditFinding? Finding, string? Problem);

/// <summary>
/// The tamper-evident audit trail: entries numbered per tenant, each one's HMAC-SHA-256 (under a key
/// that is not in the database, <see cref="AuditOptions"/>) covering its content and the previous
/// hash, and a head per tenant, signed with the same key and updated with every entry, holding the
/// count and the last hash. An entry changed, removed or inserted, a tail cut off, a head deleted
/// or a chain computed again without the key is found by <see cref="VerifyAsync"/>, which names the
/// first entry affected. Entries written before the key existed keep their plain SHA-256 chain
/// (version 1); the first start with the key seals them under a signed head
/// (<see cref="SealUnkeyedTrailsAsync"/>).
/// </summary>
public sealed class AuditTrail(IDbConnectionFactory db, TimeProvider time, IOptions<AuditOptions> options, ILogger<AuditTrail> logger, bool operatorTrail = false)
{
    /// <summary>
    /// The statement for this trail's tables: the tenants' (audit_log, audit_heads) or the operator's
    /// (operator_audit_log, operator_audit_heads), which have the same columns without the tie to a tenant.
    /// </summary>
    private string T(string sql) => operatorTrail ? sql.Replace("audit_log", "operator_audit_log", StringComparison.Ordinal).Replace("audit_heads", "operator_audit_heads", StringComparison.Ordinal) : sql;

    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The plain SHA-256 chain of the entries written before the audit key (migration 0015).</summary>
    public const int UnkeyedChain = 1;

    /// <summary>HMAC-SHA-256 under the audit key.</summary>
    public const int KeyedChain = 2;

    private readonly Lazy<(byte[] Entry, byte[] Head, string KeyId)> _keys = new(() => Derive(SecretKeyFile.Load(options.Value.Key, options.Value.KeyFile)));

    /// <summary>Reads the audit key, or creates its file when there is none yet.</summary>
    public void LoadKey() => _ = _keys.Value;

    private const string Columns = """
        tenant_id AS TenantId, seq AS Seq, at AS At, actor AS Actor, action AS Action, resource AS Resource, detail AS Detail, ip AS Ip,
        status_code AS StatusCode, prev_hash AS PrevHash, hash AS Hash, chain_version AS ChainVersion
        """;

    private const string LastSql = "SELECT seq AS Seq, hash AS Hash FROM audit_log WHERE tenant_id = @tenantId AND seq = (SELECT MAX(seq) FROM audit_log WHERE tenant_id = @tenantId)";

    private const string HeadColumns = "tenant_id AS TenantId, entries AS Entries, last_hash AS LastHash, keyed_from AS KeyedFrom, signature AS Signature";

    private const string HeadSql = $"SELECT {HeadColumns} FROM audit_heads WHERE tenant_id = @tenantId";

    private const string InsertSql = """
        INSERT INTO audit_log (tenant_id, seq, at, actor, action, resource, detail, ip, status_code, prev_hash, hash, chain_version)
        VALUES (@TenantId, @Seq, @At, @Actor, @Action, @Resource, @Detail, @Ip, @StatusCode, @PrevHash, @Hash, @ChainVersion)
        """;

    private const string InsertHeadSql = """
        INSERT INTO audit_heads (tenant_id, entries, last_hash, keyed_from, signature, updated_at) VALUES (@tenantId, @entries, @lastHash, @keyedFrom, @signature, @now)
        """;

    // Compare-and-swap on the head read: two writers taking the same number are also stopped by the
    // primary key of audit_log, this keeps the head from ever moving backwards.
    private const string AdvanceHeadSql = """
        UPDATE audit_heads SET entries = @entries, last_hash = @lastHash, signature = @signature, updated_at = @now
        WHERE tenant_id = @tenantId AND entries = @previousEntries AND last_hash = @previousHash
        """;

    private const string AllSql = $"SELECT {Columns} FROM audit_log WHERE tenant_id = @tenantId ORDER BY seq";

    private const string UnsignedHeadsSql = $"SELECT {HeadColumns} FROM audit_heads WHERE signature IS NULL";

    private const string KeyedCountSql = "SELECT COUNT(*) FROM audit_log WHERE tenant_id = @tenantId AND chain_version <> 1";

    private const string SealHeadSql = """
        UPDATE audit_heads SET entries = @entries, last_hash = @lastHash, keyed_from = @keyedFrom, signature = @signature, updated_at = @now
        WHERE tenant_id = @tenantId AND signature IS NULL AND entries = @previousEntries AND last_hash = @previousHash
        """;

    /// <summary>Names the key (a hash of it), so that hosts with different keys can be told apart.</summary>
    public string KeyId => _keys.Value.KeyId;

    public async Task<AuditRow> RecordAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        // The next number is taken under the write lock of the transaction; two writers racing for
        // it collide on the primary key and the loser simply takes the next one.
        for (var attempt = 0; ; attempt++)
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var head = await connection.QuerySingleOrDefaultAsync<HeadRow>(T(HeadSql), new { tenantId = entry.TenantId }, transaction);
            var trusted = head is not null && IsSigned(head);
            (long Seq, string Hash)? last;
            if (trusted)
            {
                // The chain continues from the signed head, not from the table: were the last rows
                // deleted, the next entry leaves the gap visible instead of papering over it.
                last = head!.Entries == 0 ? null : (head.Entries, head.LastHash);
            }
            else
            {
                last = await connection.QuerySingleOrDefaultAsync<(long Seq, string Hash)?>(T(LastSql), new { tenantId = entry.TenantId }, transaction);
            }

            var row = new AuditRow
            {
                TenantId = entry.TenantId, Seq = (last?.Seq ?? 0) + 1, At = time.NowMs(), Actor = Cut(entry.Actor, 400)!, Action = Cut(entry.Action, 200)!,
                Resource = Cut(entry.Resource, 400), Detail = Cut(entry.Detail, 2000), Ip = Cut(entry.Ip, 64), StatusCode = entry.StatusCode,
                PrevHash = last?.Hash ?? Genesis, ChainVersion = KeyedChain,
            };
            row = row with { Hash = MacOf(row) };
            try
            {
                await connection.ExecuteAsync(T(InsertSql), row, transaction);
                var keyedFrom = trusted ? head!.KeyedFrom : 1;
                var headArgs = new
                {
                    tenantId = row.TenantId, entries = row.Seq, lastHash = row.Hash, keyedFrom, signature = SignatureOf(row.TenantId, row.Seq, row.Hash, keyedFrom),
                    now = row.At, previousEntries = head?.Entries ?? 0, previousHash = head?.LastHash ?? "",
                };
                if (trusted)
                {
                    if (await connection.ExecuteAsync(T(AdvanceHeadSql), headArgs, transaction) == 0)
                    {
                        // Someone else moved the head since it was read: read it again.
                        await transaction.RollbackAsync(cancellationToken);
                        if (attempt < 10)
                        {
                            continue;
                        }

                        throw new InvalidOperationException($"The audit head of tenant {row.TenantId} kept moving; entry not recorded.");
                    }
                }
                else if (head is null && last is null)
                {
                    await connection.ExecuteAsync(T(InsertHeadSql), headArgs, transaction);
                }
                else
                {
                    // A trail without a trustworthy head: the entry is still kept (nothing a person did
                    // goes unrecorded), but the head is left as found rather than re-signed over a
                    // trail nobody can vouch for, so verification keeps reporting it.
                    Log.AuditHeadUntrusted(logger, row.TenantId, row.Seq);
                }

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
        var sql = new StringBuilder(T($"SELECT {Columns} FROM audit_log WHERE tenant_id = @tenantId"));
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
        // One snapshot of rows and head: an entry recorded meanwhile must not look like an insertion.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);
        var rows = (await connection.QueryAsync<AuditRow>(new CommandDefinition(T(AllSql), new { tenantId }, transaction, cancellationToken: cancellationToken))).AsList();
        var head = await connection.QuerySingleOrDefaultAsync<HeadRow>(new CommandDefinition(T(HeadSql), new { tenantId }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);

        long count = rows.Count;
        var trusted = head is not null && IsSigned(head);
        var expected = trusted ? head!.Entries : (long?)null;
        AuditVerification Broken(long seq, AuditFinding finding, string problem) => new(false, count, expected, seq, finding, problem);

        var previous = Genesis;
        var keyedSeen = false;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var seq = i + 1L;
            if (row.Seq != seq)
            {
                return Broken(seq, AuditFinding.Removed, row.Seq == seq + 1 ? $"entry {seq} was removed" : $"entries {seq} to {row.Seq - 1} were removed");
            }

            // Unkeyed entries are only those from before the key: before the first keyed one the signed
            // head names, and (without a head to ask) never one after a keyed entry.
            var version = trusted ? (seq < (head!.KeyedFrom ?? 1) ? UnkeyedChain : KeyedChain) : (int?)null;
            if (row.ChainVersion is not (UnkeyedChain or KeyedChain) || (version is not null && row.ChainVersion != version) || (row.ChainVersion == UnkeyedChain && keyedSeen)
                || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(HashFor(row)), Encoding.ASCII.GetBytes(row.Hash)))
            {
                return Broken(seq, AuditFinding.Altered, $"entry {seq} was altered (its content no longer matches its hash)");
            }

            if (row.PrevHash != previous)
            {
                // This entry is intact and names the hash its predecessor had when it was written:
                // the predecessor (or the unkeyed chain before it) was rewritten since.
                return Broken(seq - 1, AuditFinding.Altered,
                    $"entry {seq - 1} or an entry before it was rewritten (entry {seq} was written after a different entry {seq - 1})");
            }

            keyedSeen |= row.ChainVersion == KeyedChain;
            previous = row.Hash;
        }

        if (head is null)
        {
            return count == 0
                ? new AuditVerification(true, 0, null, null, null, null)
                : Broken(count + 1, AuditFinding.HeadMissing, $"the signed head of the trail is missing: entries after {count} may have been removed");
        }

        if (!trusted)
        {
            return Broken(count + 1, AuditFinding.HeadMismatch,
                $"the head of the trail is not signed with this host's audit key (key {KeyId}): entries after {count} may have been removed");
        }

        if (head.Entries > count)
        {
            return Broken(count + 1, AuditFinding.Truncated, count == 0
                ? $"all {head.Entries} entries were removed"
                : $"entries {count + 1} to {head.Entries} were removed from the end");
        }

        if (head.Entries < count)
        {
            return Broken(head.Entries + 1, AuditFinding.Inserted, $"entries {head.Entries + 1} to {count} were added behind SendGate's back");
        }

        if (head.LastHash != previous)
        {
            return Broken(count, AuditFinding.HeadMismatch, $"entry {count} is not the one the signed head names");
        }

        return new AuditVerification(true, count, expected, null, null, null);
    }

    /// <summary>
    /// The upgrade to the keyed chain, run at every start (it finds nothing to do after the first):
    /// signs the heads migration 0015 wrote for the trails that existed then, and records an entry
    /// saying so, so the trail itself shows from which entry on the key protects it. A head left
    /// unsigned over entries that are already keyed was not written by the migration; it is not
    /// sealed, and verification reports it.
    /// </summary>
    public async Task<int> SealUnkeyedTrailsAsync(CancellationToken cancellationToken = default)
    {
        var sealedCount = 0;
        await using var connection = await db.OpenAsync(cancellationToken);
        foreach (var head in (await connection.QueryAsync<HeadRow>(new CommandDefinition(T(UnsignedHeadsSql), cancellationToken: cancellationToken))).AsList())
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (await connection.ExecuteScalarAsync<long>(T(KeyedCountSql), new { tenantId = head.TenantId }, transaction) > 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                Log.AuditSealRefused(logger, head.TenantId);
                continue;
            }

            // Chained onto the head as the migration found it: entries removed since then stay visible.
            var row = new AuditRow
            {
                TenantId = head.TenantId, Seq = head.Entries + 1, At = time.NowMs(), Actor = "system:upgrade", Action = "SEAL audit trail",
                Detail = $"Entries 1 to {head.Entries} were written with the unkeyed SHA-256 chain; from here on entries and the head are keyed with audit key {KeyId}.",
                StatusCode = 200, PrevHash = head.LastHash, ChainVersion = KeyedChain,
            };
            row = row with { Hash = MacOf(row) };
            await connection.ExecuteAsync(T(InsertSql), row, transaction);
            var moved = await connection.ExecuteAsync(T(SealHeadSql), new
            {
                tenantId = row.TenantId, entries = row.Seq, lastHash = row.Hash, keyedFrom = row.Seq, signature = SignatureOf(row.TenantId, row.Seq, row.Hash, row.Seq),
                now = row.At, previousEntries = head.Entries, previousHash = head.LastHash,
            }, transaction);
            if (moved == 0)
            {
                // Another host sealed it first.
                await transaction.RollbackAsync(cancellationToken);
                continue;
            }

            await transaction.CommitAsync(cancellationToken);
            Log.AuditTrailSealed(logger, row.TenantId, head.Entries, row.Seq);
            sealedCount++;
        }

        return sealedCount;
    }

    /// <summary>SHA-256 over every field, length-prefixed so that no two entries can share an encoding (the unkeyed chain).</summary>
    public static string HashOf(AuditRow row) => Convert.ToHexStringLower(SHA256.HashData(Canonical(row)));

    /// <summary>HMAC-SHA-256 of the same encoding under the audit key (the keyed chain).</summary>
    public string MacOf(AuditRow row) => Convert.ToHexStringLower(HMACSHA256.HashData(_keys.Value.Entry, Canonical(row)));

    private string HashFor(AuditRow row) => row.ChainVersion == UnkeyedChain ? HashOf(row) : MacOf(row);

    private string SignatureOf(string tenantId, long entries, string lastHash, long? keyedFrom) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_keys.Value.Head,
            Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{tenantId.Length}:{tenantId}|{entries}|{lastHash}|{keyedFrom}"))));

    private bool IsSigned(HeadRow head) =>
        head.Signature is { } signature
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(SignatureOf(head.TenantId, head.Entries, head.LastHash, head.KeyedFrom)), Encoding.ASCII.GetBytes(signature));

    private static byte[] Canonical(AuditRow row)
    {
        var text = new StringBuilder();
        foreach (var field in new[]
                 {
                     row.TenantId, row.Seq.ToString(CultureInfo.InvariantCulture), row.At.ToString(CultureInfo.InvariantCulture),
                     row.Actor, row.Action, row.Resource ?? "\0", row.Detail ?? "\0", row.Ip ?? "\0",
                     row.StatusCode.ToString(CultureInfo.InvariantCulture), row.PrevHash,
                 })
        {
            text.Append(field.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(field).Append('|');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static (byte[], byte[], string) Derive(byte[] key) =>
    (
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, info: "sendgate audit entry"u8.ToArray()),
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, info: "sendgate audit head"u8.ToArray()),
        Convert.ToHexStringLower(SHA256.HashData(key))[..16]
    );

    private static string? Cut(string? value, int max) => value is null || value.Length <= max ? value : value[..max];

    private sealed record HeadRow
    {
        public string TenantId { get; init; } = "";
        public long Entries { get; init; }
        public string LastHash { get; init; } = "";
        public long? KeyedFrom { get; init; }
        public string? Signature { get; init; }
    }
}
