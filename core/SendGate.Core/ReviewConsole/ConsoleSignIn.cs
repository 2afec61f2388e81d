using Dapper;
using SendGate.Core.Data;
using SendGate.Core.Encryption;

namespace SendGate.Core.ReviewConsole;

/// <summary>
/// How a tenant's people sign in to the console: through the tenant's own OpenID Connect provider
/// (Microsoft Entra ID, Google Workspace, any provider), by a link sent by mail, or both.
/// </summary>
public sealed record ConsoleSignInSettings(bool MailLinks, OidcSettings? Oidc)
{
    /// <summary>Until an admin says otherwise a tenant signs in by mail link: it needs nothing set up.</summary>
    public static readonly ConsoleSignInSettings Default = new(true, null);
}

/// <summary>A tenant's provider; the secret is only ever read back to talk to the provider.</summary>
public sealed record OidcSettings(string Authority, string ClientId, string ClientSecret, string AddressClaim)
{
    public const string DefaultAddressClaim = "email";
}

/// <summary>SQL for the tenants' console sign-in settings, the client secret encrypted at rest.</summary>
public sealed class ConsoleSignIn(IDbConnectionFactory db, SecretVault vault, TimeProvider time)
{
    private const string GetSql = """
        SELECT tenant_id AS TenantId, mail_links AS MailLinks, oidc_authority AS Authority, oidc_client_id AS ClientId,
               oidc_secret AS Secret, oidc_secret_key_id AS SecretKeyId, oidc_address_claim AS AddressClaim
          FROM console_sign_in WHERE tenant_id = @tenantId
        """;

    private const string UpdateSql = """
        UPDATE console_sign_in
           SET mail_links = @mailLinks, oidc_authority = @authority, oidc_client_id = @clientId, oidc_secret = @secret,
               oidc_secret_key_id = @keyId, oidc_address_claim = @claim, updated_at = @now
         WHERE tenant_id = @tenantId
        """;

    private const string InsertSql = """
        INSERT INTO console_sign_in (tenant_id, mail_links, oidc_authority, oidc_client_id, oidc_secret, oidc_secret_key_id, oidc_address_claim, updated_at)
        VALUES (@tenantId, @mailLinks, @authority, @clientId, @secret, @keyId, @claim, @now)
        """;

    private const string TenantsSql = "SELECT id FROM tenants ORDER BY created_at, id";

    public async Task<ConsoleSignInSettings> GetAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(GetSql, new { tenantId }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return ConsoleSignInSettings.Default;
        }

        var oidc = row is { Authority: { } authority, ClientId: { } clientId, Secret: { } secret, SecretKeyId: { } keyId }
            ? new OidcSettings(authority, clientId, vault.Unprotect(secret, BoundTo(tenantId), keyId), row.AddressClaim)
            : null;
        return new ConsoleSignInSettings(row.MailLinks, oidc);
    }

    public async Task SaveAsync(string tenantId, ConsoleSignInSettings settings, CancellationToken cancellationToken = default)
    {
        var oidc = settings.Oidc;
        var args = new
        {
            tenantId,
            mailLinks = settings.MailLinks,
            authority = oidc?.Authority,
            clientId = oidc?.ClientId,
            secret = oidc is null ? null : vault.Protect(oidc.ClientSecret, BoundTo(tenantId)),
            keyId = oidc is null ? null : vault.KeyId,
            claim = oidc?.AddressClaim ?? OidcSettings.DefaultAddressClaim,
            now = time.NowMs(),
        };
        await using var connection = await db.OpenAsync(cancellationToken);
        if (await connection.ExecuteAsync(new CommandDefinition(UpdateSql, args, cancellationToken: cancellationToken)) == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertSql, args, cancellationToken: cancellationToken));
        }
    }

    /// <summary>Every tenant's id, oldest first: the sign-in page finds a person's tenant among them.</summary>
    public async Task<IReadOnlyList<string>> TenantIdsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(TenantsSql, cancellationToken: cancellationToken))).AsList();
    }

    // The ciphertext is bound to its tenant: a secret copied to another tenant's row does not decrypt.
    private static string BoundTo(string tenantId) => $"console-oidc:{tenantId}";

    private sealed record Row
    {
        public string TenantId { get; init; } = "";
        public bool MailLinks { get; init; }
        public string? Authority { get; init; }
        public string? ClientId { get; init; }
        public byte[]? Secret { get; init; }
        public string? SecretKeyId { get; init; }
        public string AddressClaim { get; init; } = OidcSettings.DefaultAddressClaim;
    }
}
