using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Policies;

public sealed record PolicyVersionRow
{
    public string TenantId { get; init; } = "";
    public int Version { get; init; }
    public string Document { get; init; } = "";
    public string Change { get; init; } = "";
    public string CreatedBy { get; init; } = "";
    public long CreatedAt { get; init; }
}

public sealed record TenantRow
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public string InternalDomains { get; init; } = "[]";
    public string SenderGroups { get; init; } = "{}";
    public string Language { get; init; } = "ja";
    public string TimeZone { get; init; } = "Asia/Tokyo";
    public string? ZipFileName { get; init; }
    public string? Retention { get; init; }
    public bool KeepMetadata { get; init; } = true;
    public bool FailureNotices { get; init; } = true;
    public long CreatedAt { get; init; }
    public long? UpdatedAt { get; init; }
}

/// <summary>SQL for policy versions, tenant settings and the delivery history the detectors use.</summary>
public sealed class PolicyStore(IDbConnectionFactory db)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Japanese rule names and keywords stay readable in exports and in the database.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All),
    };

    private const string VersionColumns = """
        tenant_id AS TenantId, version AS Version, document AS Document, change AS Change, created_by AS CreatedBy, created_at AS CreatedAt
        """;

    private const string CurrentSql = $"""
        SELECT {VersionColumns} FROM policy_versions
         WHERE tenant_id = @tenantId AND version = (SELECT MAX(version) FROM policy_versions WHERE tenant_id = @tenantId)
        """;

    private const string VersionSql = $"SELECT {VersionColumns} FROM policy_versions WHERE tenant_id = @tenantId AND version = @version";

    private const string ListVersionsSql = $"SELECT {VersionColumns} FROM policy_versions WHERE tenant_id = @tenantId ORDER BY version DESC";

    private const string InsertVersionSql = """
        INSERT INTO policy_versions (tenant_id, version, document, change, created_by, created_at)
        VALUES (@tenantId, @version, @document, @change, @createdBy, @now)
        """;

    /// <summary>Version 1 for every tenant that has none yet (new tenants, and tenants from before policies).</summary>
    public const string SeedMissingSql = """
        INSERT INTO policy_versions (tenant_id, version, document, change, created_by, created_at)
        SELECT t.id, 1, @document, @change, 'system', @now FROM tenants t
         WHERE NOT EXISTS (SELECT 1 FROM policy_versions p WHERE p.tenant_id = t.id)
        """;

    private const string TenantSql = """
        SELECT id AS Id, name AS Name, internal_domains AS InternalDomains, sender_groups AS SenderGroups,
               language AS Language, time_zone AS TimeZone, zip_file_name AS ZipFileName, retention AS Retention, keep_metadata AS KeepMetadata,
               failure_notices AS FailureNotices,
               created_at AS CreatedAt, updated_at AS UpdatedAt
          FROM tenants WHERE id = @tenantId
        """;

    private const string UpdateTenantSql = """
        UPDATE tenants SET name = @name, internal_domains = @internalDomains, sender_groups = @senderGroups,
               language = @language, time_zone = @timeZone, zip_file_name = @zipFileName,
               retention = @retention, keep_metadata = @keepMetadata, failure_notices = @failureNotices, updated_at = @now
         WHERE id = @tenantId
        """;

    private const string DeliveredDomainsSql = "SELECT domain FROM delivered_domains WHERE tenant_id = @tenantId";

    public async Task<PolicyVersionRow?> GetCurrentAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<PolicyVersionRow>(new CommandDefinition(CurrentSql, new { tenantId }, cancellationToken: cancellationToken));
    }

    public async Task<PolicyVersionRow?> GetVersionAsync(string tenantId, int version, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<PolicyVersionRow>(new CommandDefinition(VersionSql, new { tenantId, version }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<PolicyVersionRow>> ListVersionsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<PolicyVersionRow>(new CommandDefinition(ListVersionsSql, new { tenantId }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Stores <paramref name="version"/>; false when another change took that number first.</summary>
    public async Task<bool> TryInsertVersionAsync(string tenantId, int version, PolicyDocument document, string change, string createdBy, long now,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertVersionSql, new
            {
                tenantId, version, document = Serialize(document), change = change.Length > 1000 ? change[..1000] : change, createdBy, now,
            }, cancellationToken: cancellationToken));
            return true;
        }
        catch (DbException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            return false;
        }
    }

    public static Task SeedMissingAsync(DbConnection connection, DbTransaction? transaction, PolicyDocument document, long now) =>
        connection.ExecuteAsync(SeedMissingSql, new { document = Serialize(document), change = "initial policy", now }, transaction);

    public async Task<TenantRow?> GetTenantAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<TenantRow>(new CommandDefinition(TenantSql, new { tenantId }, cancellationToken: cancellationToken));
    }

    public async Task UpdateTenantAsync(string tenantId, string name, TenantSettings settings, long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(UpdateTenantSql, new
        {
            tenantId, name, now, language = settings.Language, timeZone = settings.TimeZone, zipFileName = settings.ZipFileName,
            retention = settings.Retention, keepMetadata = settings.KeepMetadata, failureNotices = settings.FailureNotices,
            internalDomains = JsonSerializer.Serialize(settings.InternalDomains, Json),
            senderGroups = JsonSerializer.Serialize(settings.SenderGroups, Json),
        }, cancellationToken: cancellationToken));
    }

    public Task<SenderHistory> GetSenderHistoryAsync(string tenantId, string sender, IReadOnlyCollection<string> domains, IReadOnlyCollection<string> colleagues,
        CancellationToken cancellationToken = default) =>
        SenderHistory.LoadAsync(db, tenantId, sender, domains, colleagues, cancellationToken);

    public async Task<IReadOnlyList<string>> GetDeliveredDomainsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(DeliveredDomainsSql, new { tenantId }, cancellationToken: cancellationToken))).AsList();
    }

    public static string Serialize(PolicyDocument document) => JsonSerializer.Serialize(document, Json);

    public static PolicyDocument Deserialize(string json) => JsonSerializer.Deserialize<PolicyDocument>(json, Json) ?? new PolicyDocument { Rules = [] };

    public static TenantSettings Settings(TenantRow row) => new()
    {
        InternalDomains = JsonSerializer.Deserialize<List<string>>(row.InternalDomains, Json) ?? [],
        SenderGroups = (JsonSerializer.Deserialize<Dictionary<string, List<string>>>(row.SenderGroups, Json) ?? [])
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Value, StringComparer.Ordinal),
        Language = row.Language,
        TimeZone = row.TimeZone,
        ZipFileName = row.ZipFileName,
        Retention = row.Retention,
        KeepMetadata = row.KeepMetadata,
        FailureNotices = row.FailureNotices,
    };
}
