using System.Security.Cryptography;
using Dapper;
using SendGate.Core.Data;
using SendGate.Core.Tenants;

namespace SendGate.Core.SmtpIngress;

public record SmtpCredentialRow
{
    public string Id { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string Name { get; init; } = "";
    public string Username { get; init; } = "";
    public long CreatedAt { get; init; }
    public string CreatedBy { get; init; } = "";
    public long? LastUsedAt { get; init; }
}

/// <summary>
/// SMTP AUTH credentials of a tenant's mail server: a generated user name and a 256-bit password,
/// shown once and stored only as its SHA-256 hash (as API keys are: a slow hash buys nothing at
/// this entropy, and AUTH runs on every connection).
/// </summary>
public sealed class SmtpCredentials(IDbConnectionFactory db, TimeProvider time)
{
    public const string UsernamePrefix = "sgsmtp_";

    private const string Columns = "id AS Id, tenant_id AS TenantId, name AS Name, username AS Username, created_at AS CreatedAt, created_by AS CreatedBy, last_used_at AS LastUsedAt";

    private const string InsertSql = """
        INSERT INTO smtp_credentials (id, tenant_id, name, username, secret_hash, created_at, created_by)
        VALUES (@Id, @TenantId, @Name, @Username, @hash, @CreatedAt, @CreatedBy)
        """;

    private const string ListSql = $"SELECT {Columns} FROM smtp_credentials WHERE tenant_id = @tenantId ORDER BY created_at, id";

    private const string DeleteSql = "DELETE FROM smtp_credentials WHERE tenant_id = @tenantId AND id = @id";

    private const string FindSql = $"SELECT {Columns}, secret_hash AS SecretHash FROM smtp_credentials WHERE username = @username";

    // At most once a minute per credential: a busy relay authenticates on every connection.
    private const string TouchSql = "UPDATE smtp_credentials SET last_used_at = @now WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @before)";

    public async Task<(SmtpCredentialRow Credential, string Password)> CreateAsync(string tenantId, string name, string createdBy, CancellationToken cancellationToken = default)
    {
        var id = TenantStore.NewId("smc");
        var row = new SmtpCredentialRow
        {
            Id = id,
            TenantId = tenantId,
            Name = name,
            // Readable, unique, and says nothing about the tenant.
            Username = UsernamePrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            CreatedAt = time.NowMs(),
            CreatedBy = createdBy,
        };
        // Letters and digits only (256 bits in 43 of them): no character a mail server's form, a
        // sasl_passwd line or a command line would read as something else (a leading '-', a ':').
        var password = new string(RandomNumberGenerator.GetItems<char>("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 43));
        await using var connection = await db.OpenAsync(cancellationToken);
        var args = new DynamicParameters(row);
        args.Add("hash", LinkTokens.Hash(password));
        await connection.ExecuteAsync(new CommandDefinition(InsertSql, args, cancellationToken: cancellationToken));
        return (row, password);
    }

    public async Task<IReadOnlyList<SmtpCredentialRow>> ListAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<SmtpCredentialRow>(new CommandDefinition(ListSql, new { tenantId }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<bool> DeleteAsync(string tenantId, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { tenantId, id }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>The credential <paramref name="username"/> / <paramref name="password"/> names, or null; compared in constant time.</summary>
    public async Task<SmtpCredentialRow?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        if (username.Length is 0 or > 64 || password.Length is 0 or > 200)
        {
            return null;
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        var found = await connection.QuerySingleOrDefaultAsync<StoredCredential>(new CommandDefinition(FindSql, new { username }, cancellationToken: cancellationToken));
        if (found is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(found.SecretHash), Convert.FromHexString(LinkTokens.Hash(password))))
        {
            return null;
        }

        var now = time.NowMs();
        await connection.ExecuteAsync(new CommandDefinition(TouchSql, new { id = found.Id, now, before = now - 60_000 }, cancellationToken: cancellationToken));
        // The row without its hash: nothing after AUTH needs it.
        return new SmtpCredentialRow
        {
            Id = found.Id, TenantId = found.TenantId, Name = found.Name, Username = found.Username,
            CreatedAt = found.CreatedAt, CreatedBy = found.CreatedBy, LastUsedAt = now,
        };
    }

    private sealed record StoredCredential : SmtpCredentialRow
    {
        public string SecretHash { get; init; } = "";
    }
}
