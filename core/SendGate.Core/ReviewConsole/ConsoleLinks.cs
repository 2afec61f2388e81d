using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.ReviewConsole;

/// <summary>A link that signs a person in: for the whole console (a sign-in link), or for one mail (a hold notice).</summary>
public sealed record ConsoleLinkRow
{
    public string TenantId { get; init; } = "";
    public string Address { get; init; } = "";

    /// <summary>Set for a hold notice's link, which opens that mail and nothing else.</summary>
    public string? MessageId { get; init; }

    public long ExpiresAt { get; init; }
    public long? UsedAt { get; init; }
}

/// <summary>
/// SQL for console links. A token is made when its mail is written and only its hash is stored,
/// so nothing in the database signs anyone in.
/// </summary>
public sealed class ConsoleLinks(IDbConnectionFactory db, TimeProvider time)
{
    private const string InsertSql = """
        INSERT INTO console_links (token_hash, tenant_id, address, message_id, expires_at, created_at)
        VALUES (@hash, @tenantId, @address, @messageId, @expiresAt, @now)
        """;

    private const string FindSql = """
        SELECT tenant_id AS TenantId, address AS Address, message_id AS MessageId, expires_at AS ExpiresAt, used_at AS UsedAt
          FROM console_links WHERE token_hash = @hash
        """;

    // A sign-in link works once: the first POST takes it, whatever comes after.
    private const string UseSql = "UPDATE console_links SET used_at = @now WHERE token_hash = @hash AND used_at IS NULL AND expires_at > @now";

    // A hold notice's link may be opened again while it lasts; each use is recorded.
    private const string TouchSql = "UPDATE console_links SET used_at = @now WHERE token_hash = @hash AND expires_at > @now";

    public async Task<string> CreateAsync(string tenantId, string address, string? messageId, long expiresAt, CancellationToken cancellationToken = default)
    {
        var token = LinkTokens.Create();
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(InsertSql,
            new { hash = LinkTokens.Hash(token), tenantId, address = ConsolePeople.Normalize(address), messageId, expiresAt, now = time.NowMs() }, cancellationToken: cancellationToken));
        return token;
    }

    public async Task<ConsoleLinkRow?> FindAsync(string token, CancellationToken cancellationToken = default)
    {
        if (!LinkTokens.IsWellFormed(token))
        {
            return null;
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ConsoleLinkRow>(new CommandDefinition(FindSql, new { hash = LinkTokens.Hash(token) }, cancellationToken: cancellationToken));
    }

    /// <summary>Spends a sign-in link (false: used already or expired), or records the use of a hold notice's.</summary>
    public async Task<bool> UseAsync(string token, bool once, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(once ? UseSql : TouchSql, new { hash = LinkTokens.Hash(token), now = time.NowMs() }, cancellationToken: cancellationToken)) == 1;
    }
}
