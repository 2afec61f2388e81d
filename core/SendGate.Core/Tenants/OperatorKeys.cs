using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Tenants;

public sealed record OperatorKeyRow
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public string Prefix { get; init; } = "";
    public long CreatedAt { get; init; }
    public long? RevokedAt { get; init; }
}

/// <summary>
/// The operator's credentials: made on the host by its administrator (<c>operator create-key</c>),
/// shown once, stored as a SHA-256 hash like tenants' keys but in a table of their own and with a
/// prefix of their own (<see cref="Prefix"/>), so that no tenant key can ever be one. They reach the
/// operator API only; a tenant's routes do not know them.
/// </summary>
public sealed class OperatorKeys(IDbConnectionFactory db, TimeProvider time)
{
    public const string Prefix = "sgop_";

    private const string Columns = "id AS Id, name AS Name, prefix AS Prefix, created_at AS CreatedAt, revoked_at AS RevokedAt";

    private const string InsertSql = "INSERT INTO operator_keys (id, name, prefix, key_hash, created_at) VALUES (@id, @name, @prefix, @hash, @now)";

    private const string FindSql = $"SELECT {Columns} FROM operator_keys WHERE key_hash = @hash AND revoked_at IS NULL";

    private const string ListSql = $"SELECT {Columns} FROM operator_keys ORDER BY created_at, id";

    private const string RevokeSql = "UPDATE operator_keys SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL";

    public static bool LooksLikeOne(string secret) => secret.StartsWith(Prefix, StringComparison.Ordinal);

    public async Task<(OperatorKeyRow Key, string Secret)> CreateAsync(string name, CancellationToken cancellationToken = default)
    {
        var secret = Prefix + ApiKeySecrets.Generate()[ApiKeySecrets.Prefix.Length..];
        var row = new OperatorKeyRow { Id = TenantStore.NewId("opk"), Name = name, Prefix = ApiKeySecrets.DisplayPrefix(secret), CreatedAt = time.NowMs() };
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(InsertSql,
            new { id = row.Id, name, prefix = row.Prefix, hash = ApiKeySecrets.Hash(secret), now = row.CreatedAt }, cancellationToken: cancellationToken));
        return (row, secret);
    }

    /// <summary>The active key with this secret; read every time (operators call rarely, and a revoked key must stop at once).</summary>
    public async Task<OperatorKeyRow?> FindActiveAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (!LooksLikeOne(secret))
        {
            return null;
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<OperatorKeyRow>(new CommandDefinition(FindSql, new { hash = ApiKeySecrets.Hash(secret) }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<OperatorKeyRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<OperatorKeyRow>(new CommandDefinition(ListSql, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(RevokeSql, new { id, now = time.NowMs() }, cancellationToken: cancellationToken)) == 1;
    }
}
