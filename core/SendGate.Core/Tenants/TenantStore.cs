using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Tenants;

public sealed record ApiKeyRow
{
    public string Id { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string Name { get; init; } = "";
    public string Prefix { get; init; } = "";
    public string Roles { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? RevokedAt { get; init; }

    /// <summary>The person an approver key decides as (their e-mail address); null for other keys.</summary>
    public string? ApproverAddress { get; init; }

    public IReadOnlyList<string> RoleList => Roles.Split(',', StringSplitOptions.RemoveEmptyEntries);
}

public sealed record TenantRow(string Id, string Name);

/// <summary>A tenant the operator creates: its settings, first policy (null: the host's initial policy) and own quotas (null: the host's).</summary>
public sealed record NewTenant(string Name, IReadOnlyList<string> InternalDomains, string Language, string TimeZone, Policies.PolicyDocument? Policy,
    long? MessagesPerDay = null, long? StoredBytes = null, long? ApiKeys = null, long? WebhookEndpoints = null);

/// <summary>
/// Tenants and their API keys. Active keys are remembered for <see cref="AuthOptions.KeyCacheDuration"/>
/// so that a request does not cost a database read to authenticate; revoking a key forgets it at
/// once on this host, and other hosts stop accepting it when their entry expires.
/// </summary>
public sealed class TenantStore(IDbConnectionFactory db, TimeProvider time, Microsoft.Extensions.Options.IOptions<AuthOptions> auth, Policies.InitialPolicy initialPolicy)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (ApiKeyRow Key, long Until)> _activeKeys = new(StringComparer.Ordinal);

    private const string KeyColumns = """
        id AS Id, tenant_id AS TenantId, name AS Name, prefix AS Prefix, roles AS Roles, created_at AS CreatedAt, revoked_at AS RevokedAt,
        approver_address AS ApproverAddress
        """;

    private const string InsertTenantSql = "INSERT INTO tenants (id, name, created_at) VALUES (@id, @name, @now)";

    private const string InsertConfiguredTenantSql = """
        INSERT INTO tenants (id, name, created_at, internal_domains, language, time_zone,
                             quota_messages_per_day, quota_stored_bytes, quota_api_keys, quota_webhook_endpoints)
        VALUES (@id, @name, @now, @internalDomains, @language, @timeZone, @messagesPerDay, @storedBytes, @apiKeys, @webhookEndpoints)
        """;

    // Two hosts starting at once both try; the NOT EXISTS under the write lock lets one win.
    private const string InsertFirstTenantSql = """
        INSERT INTO tenants (id, name, created_at)
        SELECT @id, @name, @now WHERE NOT EXISTS (SELECT 1 FROM tenants)
        """;

    private const string InsertKeySql = """
        INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, roles, created_at, approver_address)
        VALUES (@id, @tenantId, @name, @prefix, @hash, @roles, @now, @approverAddress)
        """;

    // A deleted tenant's keys stop at once, before the worker has purged them.
    private const string FindKeySql = $"""
        SELECT {KeyColumns} FROM api_keys WHERE key_hash = @hash AND revoked_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = api_keys.tenant_id AND t.deleted_at IS NOT NULL)
        """;

    private const string ListKeysSql = $"SELECT {KeyColumns} FROM api_keys WHERE tenant_id = @tenantId ORDER BY created_at, id";

    private const string FindTenantsSql = "SELECT id AS Id, name AS Name FROM tenants WHERE id = @nameOrId OR name = @nameOrId ORDER BY created_at, id";

    // Tenant ids are version 7 GUIDs: in id order is in creation order, and the id is the cursor.
    private const string ListTenantsSql = "SELECT id AS Id, name AS Name FROM tenants WHERE id > @after AND deleted_at IS NULL ORDER BY id";

    private const string GetKeySql = $"SELECT {KeyColumns} FROM api_keys WHERE tenant_id = @tenantId AND id = @id";

    // One statement, so two admins revoking each other's keys at once cannot both succeed.
    private const string RevokeKeySql = """
        UPDATE api_keys SET revoked_at = @now
         WHERE tenant_id = @tenantId AND id = @id AND revoked_at IS NULL
           AND (roles NOT LIKE '%,admin,%'
                OR EXISTS (SELECT 1 FROM api_keys other
                            WHERE other.tenant_id = @tenantId AND other.id <> @id
                              AND other.revoked_at IS NULL AND other.roles LIKE '%,admin,%'))
        """;

    public async Task<string> CreateTenantAsync(string name, CancellationToken cancellationToken = default)
    {
        var id = NewId("tnt");
        var now = time.NowMs();
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(InsertTenantSql, new { id, name, now }, transaction);
        // A tenant never exists without a policy: it starts with the configured initial one.
        await Policies.PolicyStore.SeedMissingAsync(connection, transaction, initialPolicy.Document, now);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    /// <summary>
    /// Creates a tenant with its settings, its first policy and its first admin key, in one
    /// transaction: a tenant never exists half made. The key's secret is returned once.
    /// </summary>
    public async Task<(string TenantId, ApiKeyRow Key, string Secret)> CreateTenantAsync(NewTenant tenant, CancellationToken cancellationToken = default)
    {
        var id = NewId("tnt");
        var now = time.NowMs();
        var secret = ApiKeySecrets.Generate();
        var key = new ApiKeyRow
        {
            Id = NewId("key"), TenantId = id, Name = "first admin", Prefix = ApiKeySecrets.DisplayPrefix(secret), Roles = StoredRoles([Roles.Admin]), CreatedAt = now,
        };
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(InsertConfiguredTenantSql, new
        {
            id, name = tenant.Name, now, internalDomains = System.Text.Json.JsonSerializer.Serialize(tenant.InternalDomains), language = tenant.Language,
            timeZone = tenant.TimeZone, messagesPerDay = tenant.MessagesPerDay, storedBytes = tenant.StoredBytes, apiKeys = tenant.ApiKeys,
            webhookEndpoints = tenant.WebhookEndpoints,
        }, transaction);
        await connection.ExecuteAsync(InsertKeySql, new
        {
            id = key.Id, tenantId = id, name = key.Name, prefix = key.Prefix, hash = ApiKeySecrets.Hash(secret), roles = key.Roles, now, approverAddress = (string?)null,
        }, transaction);
        // The new tenant is the only one without a policy in this transaction.
        await Policies.PolicyStore.SeedMissingAsync(connection, transaction, tenant.Policy ?? initialPolicy.Document, now);
        await transaction.CommitAsync(cancellationToken);
        return (id, key, secret);
    }

    /// <summary>Creates the first tenant with an admin key if the database has no tenant yet.</summary>
    public async Task<string?> CreateFirstTenantAsync(string name, string adminSecret, CancellationToken cancellationToken = default)
    {
        var id = NewId("tnt");
        var now = time.NowMs();
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await connection.ExecuteAsync(InsertFirstTenantSql, new { id, name, now }, transaction) == 0)
        {
            return null;
        }

        await connection.ExecuteAsync(InsertKeySql, new
        {
            id = NewId("key"), tenantId = id, name = "bootstrap admin", prefix = ApiKeySecrets.DisplayPrefix(adminSecret),
            hash = ApiKeySecrets.Hash(adminSecret), roles = StoredRoles([Roles.Admin]), now, approverAddress = (string?)null,
        }, transaction);
        await Policies.PolicyStore.SeedMissingAsync(connection, transaction, initialPolicy.Document, now);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    public async Task<(ApiKeyRow Key, string Secret)> CreateKeyAsync(string tenantId, string name, IReadOnlyList<string> roles, string? approverAddress = null,
        CancellationToken cancellationToken = default)
    {
        var secret = ApiKeySecrets.Generate();
        var row = new ApiKeyRow
        {
            Id = NewId("key"), TenantId = tenantId, Name = name, Prefix = ApiKeySecrets.DisplayPrefix(secret),
            Roles = StoredRoles(roles), CreatedAt = time.NowMs(), ApproverAddress = approverAddress?.Trim().ToLowerInvariant(),
        };
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(InsertKeySql, new
        {
            id = row.Id, tenantId, name, prefix = row.Prefix, hash = ApiKeySecrets.Hash(secret), roles = row.Roles, now = row.CreatedAt,
            approverAddress = row.ApproverAddress,
        });
        return (row, secret);
    }

    public async Task<ApiKeyRow?> FindActiveKeyAsync(string secret, CancellationToken cancellationToken = default)
    {
        var hash = ApiKeySecrets.Hash(secret);
        var now = time.NowMs();
        if (_activeKeys.TryGetValue(hash, out var cached) && cached.Until > now)
        {
            return cached.Key;
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        var key = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(
            new CommandDefinition(FindKeySql, new { hash }, cancellationToken: cancellationToken));
        var ttl = auth.Value.KeyCacheDuration;
        if (key is null)
        {
            _activeKeys.TryRemove(hash, out _);
        }
        else if (ttl > TimeSpan.Zero)
        {
            _activeKeys[hash] = (key, now + (long)ttl.TotalMilliseconds);
        }

        return key;
    }

    public async Task<IReadOnlyList<ApiKeyRow>> ListKeysAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ApiKeyRow>(new CommandDefinition(ListKeysSql, new { tenantId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The tenants with this id or name: names are not unique, so a caller may have to choose by id.</summary>
    public async Task<IReadOnlyList<TenantRow>> FindTenantsAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<TenantRow>(new CommandDefinition(FindTenantsSql, new { nameOrId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Up to <paramref name="limit"/> tenants after the one with id <paramref name="after"/>, oldest first.</summary>
    public async Task<IReadOnlyList<TenantRow>> ListTenantsAsync(string? after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = $"{ListTenantsSql} {db.Dialect.LimitClause}";
        return (await connection.QueryAsync<TenantRow>(new CommandDefinition(sql, new { after = after ?? "", limit }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<ApiKeyRow?> GetKeyAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(GetKeySql, new { tenantId, id }, cancellationToken: cancellationToken));
    }

    /// <summary>Forgets the remembered keys of a tenant (deleted): other hosts forget them within <see cref="AuthOptions.KeyCacheDuration"/>.</summary>
    public void ForgetTenant(string tenantId)
    {
        foreach (var entry in _activeKeys.Where(e => e.Value.Key.TenantId == tenantId))
        {
            _activeKeys.TryRemove(entry.Key, out _);
        }
    }

    public enum RevokeOutcome { Revoked, NotFound, AlreadyRevoked, LastAdmin }

    /// <summary>Revokes a key, refusing to revoke the tenant's last active admin key.</summary>
    public async Task<RevokeOutcome> RevokeKeyAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        if (await connection.ExecuteAsync(RevokeKeySql, new { tenantId, id, now = time.NowMs() }) == 1)
        {
            foreach (var entry in _activeKeys.Where(e => e.Value.Key.Id == id))
            {
                _activeKeys.TryRemove(entry.Key, out _);
            }

            return RevokeOutcome.Revoked;
        }

        // Nothing changed: say why.
        var key = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(GetKeySql, new { tenantId, id });
        return key is null ? RevokeOutcome.NotFound
            : key.RevokedAt is not null ? RevokeOutcome.AlreadyRevoked
            : RevokeOutcome.LastAdmin;
    }

    // Stored as ",a,b," so that one LIKE '%,admin,%' finds a role in every SQL dialect.
    private static string StoredRoles(IEnumerable<string> roles) =>
        "," + string.Join(',', roles.Distinct(StringComparer.Ordinal)) + ",";

    public static string NewId(string prefix) => $"{prefix}_{Guid.CreateVersion7():N}";
}
