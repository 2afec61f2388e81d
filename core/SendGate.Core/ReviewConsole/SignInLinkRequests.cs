using Dapper;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;
using SendGate.Core.Notifications;
using SendGate.Core.Policies;

namespace SendGate.Core.ReviewConsole;

/// <summary>
/// A person asks for a sign-in link: the mail is queued like every mail SendGate writes (its token
/// is made when it is written), at most <see cref="ConsoleOptions.SignInLinksPerAddress"/> per
/// address within a link's lifetime, so the form cannot be used to flood someone's mailbox.
/// </summary>
public sealed class SignInLinkRequests(IDbConnectionFactory db, ConsoleSignIn signIn, PolicyService policies, TimeProvider time, IOptions<ConsoleOptions> options)
{
    private const string RecentSql = """
        SELECT COUNT(*) FROM notifications
         WHERE tenant_id = @tenantId AND recipient = @address AND kind = 'sign_in_link' AND created_at > @since
        """;

    /// <summary>
    /// The tenant whose people sign in with <paramref name="address"/>: the one whose internal
    /// domains cover its domain. None, or more than one, and nobody is told which.
    /// </summary>
    public async Task<string?> TenantOfAsync(string address, CancellationToken cancellationToken = default)
    {
        var domain = MessageFacts.DomainOf(address);
        if (domain.Length == 0)
        {
            return null;
        }

        string? found = null;
        foreach (var tenantId in await signIn.TenantIdsAsync(cancellationToken))
        {
            var settings = (await policies.GetSnapshotAsync(tenantId, cancellationToken)).Settings;
            if (DomainMatch.Covers(settings.InternalDomains, domain))
            {
                if (found is not null)
                {
                    return null;
                }

                found = tenantId;
            }
        }

        return found;
    }

    /// <summary>Queues the link mail; false when the address has asked too often lately.</summary>
    public async Task<bool> RequestAsync(string tenantId, string address, CancellationToken cancellationToken = default)
    {
        address = ConsolePeople.Normalize(address);
        var now = time.NowMs();
        await using var connection = await db.OpenAsync(cancellationToken);
        var since = now - (long)options.Value.SignInLinkLifetime.TotalMilliseconds;
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(RecentSql, new { tenantId, address, since }, cancellationToken: cancellationToken))
            >= options.Value.SignInLinksPerAddress)
        {
            return false;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await NotificationStore.InsertAsync(connection, transaction,
            [new NewNotification(tenantId, null, null, NotificationKind.SignInLink, address)], now);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
