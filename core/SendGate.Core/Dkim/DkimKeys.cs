using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using Dapper;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using SendGate.Core.Data;
using SendGate.Core.Encryption;
using SendGate.Core.Tenants;

namespace SendGate.Core.Dkim;

public static class DkimKeyStatus
{
    /// <summary>Created, its DNS record not yet confirmed by the tenant: signs nothing.</summary>
    public const string Pending = "pending";

    /// <summary>Signs the domain's mail; one per domain.</summary>
    public const string Active = "active";

    /// <summary>Replaced or stopped: signs nothing, its DNS record may stay a while for mail still in transit.</summary>
    public const string Retired = "retired";
}

public sealed record DkimKeyRow
{
    public string Id { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string Domain { get; init; } = "";
    public string Selector { get; init; } = "";
    public int KeyBits { get; init; }
    public string PublicKey { get; init; } = "";
    public string Status { get; init; } = "";
    public long CreatedAt { get; init; }
    public string CreatedBy { get; init; } = "";
    public long? ActivatedAt { get; init; }
    public long? RetiredAt { get; init; }

    /// <summary>Where the public key is published: <c>selector._domainkey.domain</c>.</summary>
    public string DnsName => $"{Selector}._domainkey.{Domain}";

    /// <summary>The TXT record's value (RFC 6376 §3.6.1).</summary>
    public string DnsValue => $"v=DKIM1; k=rsa; p={PublicKey}";
}

/// <summary>What signing needs of an active key: its names and the private key, decrypted once.</summary>
public sealed record DkimSigningKey(string Id, string Domain, string Selector, AsymmetricKeyParameter PrivateKey);

/// <summary>
/// A tenant's DKIM keys, per sending domain: created here (RSA, the private key encrypted by the
/// <see cref="SecretVault"/> bound to the key's id, never shown), activated once the tenant has
/// published the DNS record, retired when replaced. Signing reads the active keys through a short
/// cache, emptied on this host at every change; other hosts see a change within
/// <see cref="CacheLifetime"/>.
/// </summary>
public sealed class DkimKeys(IDbConnectionFactory db, SecretVault vault, TimeProvider time)
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);

    public static readonly ImmutableArray<int> KeySizes = [2048, 3072];

    public const int MaxKeysPerTenant = 100;

    private const string Columns = "id AS Id, tenant_id AS TenantId, domain AS Domain, selector AS Selector, key_bits AS KeyBits, public_key AS PublicKey, "
        + "status AS Status, created_at AS CreatedAt, created_by AS CreatedBy, activated_at AS ActivatedAt, retired_at AS RetiredAt";

    private const string InsertSql = """
        INSERT INTO dkim_keys (id, tenant_id, domain, selector, key_bits, public_key, private_key, private_key_id, status, created_at, created_by)
        VALUES (@Id, @TenantId, @Domain, @Selector, @KeyBits, @PublicKey, @privateKey, @privateKeyId, @Status, @CreatedAt, @CreatedBy)
        """;

    private const string ListSql = $"SELECT {Columns} FROM dkim_keys WHERE tenant_id = @tenantId ORDER BY domain, created_at, id";

    private const string GetSql = $"SELECT {Columns} FROM dkim_keys WHERE tenant_id = @tenantId AND id = @id";

    private const string CountSql = "SELECT COUNT(*) FROM dkim_keys WHERE tenant_id = @tenantId";

    private const string SelectorTakenSql = "SELECT COUNT(*) FROM dkim_keys WHERE tenant_id = @tenantId AND domain = @domain AND selector = @selector";

    private const string RetireActiveSql = """
        UPDATE dkim_keys SET status = 'retired', retired_at = @now
        WHERE tenant_id = @tenantId AND domain = @domain AND status = 'active' AND id <> @id
        """;

    private const string ActivateSql = """
        UPDATE dkim_keys SET status = 'active', activated_at = @now, retired_at = NULL
        WHERE tenant_id = @tenantId AND id = @id AND status IN ('pending', 'retired')
        """;

    private const string RetireSql = "UPDATE dkim_keys SET status = 'retired', retired_at = @now WHERE tenant_id = @tenantId AND id = @id AND status = 'active'";

    private const string DeleteSql = "DELETE FROM dkim_keys WHERE tenant_id = @tenantId AND id = @id AND status <> 'active'";

    private const string ActiveKeysSql = """
        SELECT id AS Id, domain AS Domain, selector AS Selector, private_key AS PrivateKey, private_key_id AS PrivateKeyId
        FROM dkim_keys WHERE tenant_id = @tenantId AND status = 'active'
        """;

    private readonly ConcurrentDictionary<string, CachedKeys> _active = new(StringComparer.Ordinal);

    // Decrypting and parsing a key costs more than signing with it: done once per key and host.
    private readonly ConcurrentDictionary<string, DkimSigningKey> _parsed = new(StringComparer.Ordinal);

    public async Task<DkimCreateOutcome> CreateAsync(string tenantId, string domain, string? selector, int keyBits, string createdBy,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(CountSql, new { tenantId }, cancellationToken: cancellationToken)) >= MaxKeysPerTenant)
        {
            return new DkimCreateOutcome.TooMany();
        }

        selector ??= await FreeSelectorAsync(connection, tenantId, domain, cancellationToken);
        using var rsa = RSA.Create(keyBits);
        var id = TenantStore.NewId("dkim");
        var row = new DkimKeyRow
        {
            Id = id,
            TenantId = tenantId,
            Domain = domain,
            Selector = selector,
            KeyBits = keyBits,
            PublicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()),
            Status = DkimKeyStatus.Pending,
            CreatedAt = time.NowMs(),
            CreatedBy = createdBy,
        };
        var pkcs8 = rsa.ExportPkcs8PrivateKey();
        var args = new DynamicParameters(row);
        args.Add("privateKey", vault.Protect(Convert.ToBase64String(pkcs8), id));
        args.Add("privateKeyId", vault.KeyId);
        CryptographicOperations.ZeroMemory(pkcs8);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertSql, args, cancellationToken: cancellationToken));
        }
        catch (DbException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            return new DkimCreateOutcome.SelectorTaken(selector);
        }

        return new DkimCreateOutcome.Created(row);
    }

    public async Task<IReadOnlyList<DkimKeyRow>> ListAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<DkimKeyRow>(new CommandDefinition(ListSql, new { tenantId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<DkimKeyRow?> GetAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<DkimKeyRow>(new CommandDefinition(GetSql, new { tenantId, id }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Makes the key its domain's signing key, retiring the one before it in the same transaction
    /// (rotation). A retired key may be activated again (a rotation undone). Null: no such key.
    /// </summary>
    public async Task<DkimKeyRow?> ActivateAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var key = await connection.QuerySingleOrDefaultAsync<DkimKeyRow>(new CommandDefinition(GetSql, new { tenantId, id }, transaction, cancellationToken: cancellationToken));
        if (key is null)
        {
            return null;
        }

        if (key.Status != DkimKeyStatus.Active)
        {
            var now = time.NowMs();
            await connection.ExecuteAsync(new CommandDefinition(RetireActiveSql, new { tenantId, domain = key.Domain, id, now }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(ActivateSql, new { tenantId, id, now }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        Changed(tenantId);
        return await GetAsync(tenantId, id, cancellationToken);
    }

    /// <summary>Stops the key signing (its domain's mail leaves unsigned until another is activated). Null: no such key.</summary>
    public async Task<DkimKeyRow?> RetireAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using (var connection = await db.OpenAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(RetireSql, new { tenantId, id, now = time.NowMs() }, cancellationToken: cancellationToken));
        }

        Changed(tenantId);
        return await GetAsync(tenantId, id, cancellationToken);
    }

    /// <summary>Deletes a pending or retired key; the active one must be retired or replaced first.</summary>
    public async Task<DkimDeleteOutcome> DeleteAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        if (await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { tenantId, id }, cancellationToken: cancellationToken)) == 1)
        {
            _parsed.TryRemove(id, out _);
            return DkimDeleteOutcome.Deleted;
        }

        return await connection.QuerySingleOrDefaultAsync<DkimKeyRow>(new CommandDefinition(GetSql, new { tenantId, id }, cancellationToken: cancellationToken)) is null
            ? DkimDeleteOutcome.NotFound
            : DkimDeleteOutcome.Active;
    }

    /// <summary>
    /// The key that signs mail from <paramref name="domain"/> (an A-label, lower case): the
    /// domain's own active key, else its nearest parent's (<c>mail.example.co.jp</c> is signed
    /// as <c>example.co.jp</c>, which DMARC's relaxed alignment accepts). Null: the tenant has none.
    /// </summary>
    public async ValueTask<DkimSigningKey?> SigningKeyAsync(string tenantId, string domain, CancellationToken cancellationToken = default)
    {
        var keys = await ActiveAsync(tenantId, cancellationToken);
        if (keys.IsEmpty)
        {
            return null;
        }

        for (var candidate = domain; candidate.Length > 0;)
        {
            if (keys.TryGetValue(candidate, out var key))
            {
                return key;
            }

            var dot = candidate.IndexOf('.', StringComparison.Ordinal);
            candidate = dot < 0 ? "" : candidate[(dot + 1)..];
        }

        return null;
    }

    private async ValueTask<ImmutableDictionary<string, DkimSigningKey>> ActiveAsync(string tenantId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_active.TryGetValue(tenantId, out var cached) && cached.Until > now)
        {
            return cached.Keys;
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<StoredKey>(new CommandDefinition(ActiveKeysSql, new { tenantId }, cancellationToken: cancellationToken));
        var keys = rows.ToImmutableDictionary(r => r.Domain, r => _parsed.GetOrAdd(r.Id, _ => Parse(r)), StringComparer.Ordinal);
        _active[tenantId] = new CachedKeys(keys, now + CacheLifetime);
        return keys;
    }

    private DkimSigningKey Parse(StoredKey row)
    {
        var pkcs8 = Convert.FromBase64String(vault.Unprotect(row.PrivateKey, row.Id, row.PrivateKeyId));
        try
        {
            return new DkimSigningKey(row.Id, row.Domain, row.Selector, PrivateKeyFactory.CreateKey(pkcs8));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private void Changed(string tenantId) => _active.TryRemove(tenantId, out _);

    /// <summary><c>sg</c> and the date (<c>sg20261204</c>), with a letter after it when the domain already has that one.</summary>
    private async Task<string> FreeSelectorAsync(DbConnection connection, string tenantId, string domain, CancellationToken cancellationToken)
    {
        var stem = "sg" + time.GetUtcNow().ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        foreach (var suffix in new[] { "" }.Concat("bcdefghijklmnopqrstuvwxyz".Select(c => c.ToString())))
        {
            var selector = stem + suffix;
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(SelectorTakenSql, new { tenantId, domain, selector }, cancellationToken: cancellationToken)) == 0)
            {
                return selector;
            }
        }

        return stem + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    }

    private sealed record CachedKeys(ImmutableDictionary<string, DkimSigningKey> Keys, DateTimeOffset Until);

    private sealed record StoredKey
    {
        public string Id { get; init; } = "";
        public string Domain { get; init; } = "";
        public string Selector { get; init; } = "";
        public byte[] PrivateKey { get; init; } = [];
        public string PrivateKeyId { get; init; } = "";
    }
}

public abstract record DkimCreateOutcome
{
    private DkimCreateOutcome()
    {
    }

    public sealed record Created(DkimKeyRow Key) : DkimCreateOutcome;

    public sealed record SelectorTaken(string Selector) : DkimCreateOutcome;

    public sealed record TooMany : DkimCreateOutcome;
}

public enum DkimDeleteOutcome { Deleted, NotFound, Active }
