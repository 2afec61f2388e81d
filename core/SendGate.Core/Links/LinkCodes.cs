using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;
using SendGate.Core.Encryption;
using SendGate.Core.Messages;
using SendGate.Core.Notifications;

namespace SendGate.Core.Links;

/// <summary>What checking an entered code found.</summary>
public abstract record CodeCheck
{
    public sealed record Verified(string Address) : CodeCheck;

    public sealed record Wrong(int TriesLeft) : CodeCheck;

    public sealed record TooManyTries : CodeCheck;

    public sealed record Expired : CodeCheck;

    /// <summary>No code was asked for in this browser (or for another link).</summary>
    public sealed record Unknown : CodeCheck;
}

/// <summary>A code asked for in this browser and not entered yet: to whom, and until when.</summary>
public sealed record PendingCode(string Address, long ExpiresAt);

/// <summary>
/// Recipient verification of a download link: a six-digit code mailed to an address that must be
/// one of the mail's recipients, entered in the same browser, a limited number of tries. The
/// browser holds a random challenge (a cookie); the database its hash, and the code's keyed hash.
/// An address that is not a recipient gets the same answer and no mail, so the page tells nobody
/// who the recipients are. Once the code is right, the challenge is the browser's session.
/// </summary>
public sealed class LinkCodes(IDbConnectionFactory db, MessageStore messages, PasswordMailStore passwords, SecretVault vault, TimeProvider time, IOptions<LinkOptions> options)
{
    private const string RecentSql = "SELECT COUNT(*) FROM download_link_codes WHERE link_id = @linkId AND created_at > @since";

    private const string InsertSql = """
        INSERT INTO download_link_codes (id, link_id, tenant_id, address, code_hash, attempts, expires_at, session_hash, created_at)
        VALUES (@id, @linkId, @tenantId, @address, @codeHash, 0, @expiresAt, @sessionHash, @now)
        """;

    private const string BySessionSql = """
        SELECT id AS Id, address AS Address, code_hash AS CodeHash, attempts AS Attempts, expires_at AS ExpiresAt, verified_at AS VerifiedAt
          FROM download_link_codes WHERE session_hash = @sessionHash AND link_id = @linkId
        """;

    private const string WrongSql = "UPDATE download_link_codes SET attempts = attempts + 1 WHERE id = @id AND attempts = @attempts AND verified_at IS NULL";

    private const string VerifySql = "UPDATE download_link_codes SET verified_at = @now WHERE id = @id AND attempts = @attempts AND verified_at IS NULL";

    private sealed record CodeRow
    {
        public string Id { get; init; } = "";
        public string Address { get; init; } = "";
        public string CodeHash { get; init; } = "";
        public int Attempts { get; init; }
        public long ExpiresAt { get; init; }
        public long? VerifiedAt { get; init; }
    }

    /// <summary>Mails a code when <paramref name="address"/> is a recipient; the challenge for the browser, or null when the link has asked for too many codes lately.</summary>
    public async Task<string?> RequestAsync(LinkRow link, string address, CancellationToken cancellationToken = default)
    {
        address = address.Trim().ToLowerInvariant();
        var o = options.Value;
        var now = time.NowMs();
        await using var connection = await db.OpenAsync(cancellationToken);
        var since = now - (long)TimeSpan.FromHours(1).TotalMilliseconds;
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(RecentSql, new { linkId = link.Id, since }, cancellationToken: cancellationToken)) >= o.CodesPerLinkPerHour)
        {
            return null;
        }

        var recipients = await messages.GetRecipientsAsync(link.MessageId, cancellationToken);
        var isRecipient = address.Length > 0 && recipients.Any(r => string.Equals(r.Address, address, StringComparison.OrdinalIgnoreCase));
        var id = $"lnc_{Guid.CreateVersion7():N}";
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        var challenge = LinkTokens.Create();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(InsertSql, new
        {
            id, linkId = link.Id, tenantId = link.TenantId, address = address.Length > 320 ? address[..320] : address,
            // Not a recipient: a code that no entry matches, and no mail.
            codeHash = isRecipient ? CodeHash(id, code) : "", expiresAt = now + (long)o.CodeLifetime.TotalMilliseconds,
            sessionHash = LinkTokens.Hash(challenge), now,
        }, transaction);
        if (isRecipient)
        {
            var data = JsonSerializer.Serialize(new { codeId = id, code = Convert.ToBase64String(vault.Protect(code, id)), keyId = vault.KeyId });
            await NotificationStore.InsertAsync(connection, transaction, [new NewNotification(link.TenantId, link.MessageId, null, NotificationKind.LinkCode, address, data)], now);
            await MessageStore.AppendEventAsync(connection, transaction, link.MessageId, new NewEvent(LinkEventType.CodeSent, null, null, "link",
                "a one-time code was mailed to a recipient", JsonSerializer.Serialize(new { linkId = link.Id, address })), now);
        }

        await transaction.CommitAsync(cancellationToken);
        return challenge;
    }

    /// <summary>The code of a queued code mail, read back when the mail is composed.</summary>
    public string CodeOf(string data)
    {
        var json = JsonDocument.Parse(data).RootElement;
        var id = json.GetProperty("codeId").GetString()!;
        return vault.Unprotect(Convert.FromBase64String(json.GetProperty("code").GetString()!), id, json.GetProperty("keyId").GetString()!);
    }

    /// <summary>Whether the link's page asks for a password besides the code (PPAP-compatible mode): the link has a password mail.</summary>
    public async Task<bool> NeedsPasswordAsync(LinkRow link, CancellationToken cancellationToken = default) =>
        await passwords.GetByMessageAsync(link.MessageId, cancellationToken) is not null;

    /// <summary>
    /// Checks the code, and the password when the link has one: a wrong password costs a try like a
    /// wrong code, and the answer does not say which of the two was wrong.
    /// </summary>
    public async Task<CodeCheck> VerifyAsync(LinkRow link, string? challenge, string code, string? password = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        if (await FindAsync(connection, link, challenge, cancellationToken) is not { } row)
        {
            return new CodeCheck.Unknown();
        }

        if (row.VerifiedAt is not null)
        {
            return new CodeCheck.Verified(row.Address);
        }

        var now = time.NowMs();
        var most = options.Value.CodeAttempts;
        if (row.ExpiresAt <= now)
        {
            return new CodeCheck.Expired();
        }

        if (row.Attempts >= most)
        {
            return new CodeCheck.TooManyTries();
        }

        code = new string(code.Where(char.IsAsciiDigit).ToArray());
        var right = row.CodeHash.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(CodeHash(row.Id, code)), Encoding.ASCII.GetBytes(row.CodeHash));
        if (await passwords.GetByMessageAsync(link.MessageId, cancellationToken) is { } passwordMail)
        {
            right &= password is { Length: > 0 and <= 200 }
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(vault.Hash(password.Trim())), Encoding.ASCII.GetBytes(passwordMail.PasswordHash));
        }

        if (right && await connection.ExecuteAsync(new CommandDefinition(VerifySql, new { id = row.Id, attempts = row.Attempts, now }, cancellationToken: cancellationToken)) == 1)
        {
            return new CodeCheck.Verified(row.Address);
        }

        // Wrong (or an entry at the same moment won the compare-and-swap): one try fewer either way.
        await connection.ExecuteAsync(new CommandDefinition(WrongSql, new { id = row.Id, attempts = row.Attempts }, cancellationToken: cancellationToken));
        var left = most - row.Attempts - 1;
        return left > 0 ? new CodeCheck.Wrong(left) : new CodeCheck.TooManyTries();
    }

    /// <summary>
    /// A link without recipient verification but with a password mail: checks the password alone.
    /// The browser's try is an entry like a code's (no address, no code, no mail) made at its first
    /// password and counted with the codes of the last hour, so a browser that drops its cookie gets
    /// no more tries than one that asks for new codes. The challenge is new when an entry was made.
    /// </summary>
    public async Task<(CodeCheck Check, string? NewChallenge)> VerifyPasswordAsync(LinkRow link, string? challenge, string password, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        var now = time.NowMs();
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await FindAsync(connection, link, challenge, cancellationToken);
        if (row is { VerifiedAt: not null })
        {
            return (new CodeCheck.Verified(row.Address), null);
        }

        string? created = null;
        if (row is null || row.ExpiresAt <= now || row.Attempts >= o.CodeAttempts)
        {
            var since = now - (long)TimeSpan.FromHours(1).TotalMilliseconds;
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(RecentSql, new { linkId = link.Id, since }, cancellationToken: cancellationToken)) >= o.CodesPerLinkPerHour)
            {
                return (new CodeCheck.TooManyTries(), null);
            }

            created = LinkTokens.Create();
            row = new CodeRow { Id = $"lnc_{Guid.CreateVersion7():N}", ExpiresAt = now + (long)o.CodeLifetime.TotalMilliseconds };
            await connection.ExecuteAsync(new CommandDefinition(InsertSql, new
            {
                id = row.Id, linkId = link.Id, tenantId = link.TenantId, address = "", codeHash = "", expiresAt = row.ExpiresAt,
                sessionHash = LinkTokens.Hash(created), now,
            }, cancellationToken: cancellationToken));
        }

        var right = await passwords.GetByMessageAsync(link.MessageId, cancellationToken) is { } passwordMail
            && password is { Length: > 0 and <= 200 }
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(vault.Hash(password.Trim())), Encoding.ASCII.GetBytes(passwordMail.PasswordHash));
        if (right && await connection.ExecuteAsync(new CommandDefinition(VerifySql, new { id = row.Id, attempts = row.Attempts, now }, cancellationToken: cancellationToken)) == 1)
        {
            return (new CodeCheck.Verified(""), created);
        }

        await connection.ExecuteAsync(new CommandDefinition(WrongSql, new { id = row.Id, attempts = row.Attempts }, cancellationToken: cancellationToken));
        var left = o.CodeAttempts - row.Attempts - 1;
        return (left > 0 ? new CodeCheck.Wrong(left) : new CodeCheck.TooManyTries(), created);
    }

    /// <summary>The verified address of this browser's session with the link, or null.</summary>
    public async Task<string?> SessionAsync(LinkRow link, string? challenge, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await FindAsync(connection, link, challenge, cancellationToken) is { VerifiedAt: { } at } row
               && at + (long)options.Value.SessionLifetime.TotalMilliseconds > time.NowMs()
            ? row.Address
            : null;
    }

    /// <summary>The code this browser asked for and has not entered yet, while it works.</summary>
    public async Task<PendingCode?> PendingAsync(LinkRow link, string? challenge, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await FindAsync(connection, link, challenge, cancellationToken) is { VerifiedAt: null } row
               && row.ExpiresAt > time.NowMs() && row.Attempts < options.Value.CodeAttempts
            ? new PendingCode(row.Address, row.ExpiresAt)
            : null;
    }

    private static async Task<CodeRow?> FindAsync(DbConnection connection, LinkRow link, string? challenge, CancellationToken cancellationToken) =>
        challenge is null || !LinkTokens.IsWellFormed(challenge)
            ? null
            : await connection.QuerySingleOrDefaultAsync<CodeRow>(new CommandDefinition(BySessionSql,
                new { sessionHash = LinkTokens.Hash(challenge), linkId = link.Id }, cancellationToken: cancellationToken));

    private string CodeHash(string id, string code) => vault.Hash($"{id}:{code}");
}
