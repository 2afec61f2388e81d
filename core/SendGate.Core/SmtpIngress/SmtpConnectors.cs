using System.Net;
using System.Text.Json;
using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.SmtpIngress;

/// <summary>A tenant in connector mode: the client networks it takes mail from without AUTH.</summary>
public sealed record SmtpConnector(string TenantId, IReadOnlyList<IPNetwork> Networks, bool RequireTls, long UpdatedAt);

/// <summary>
/// SQL for connector mode (Exchange Online's outbound connector, a Postfix relayhost): each tenant
/// names the networks its mail server sends from. A network belongs to one tenant only, so a
/// client address always identifies one tenant.
/// </summary>
public sealed class SmtpConnectors(IDbConnectionFactory db, TimeProvider time)
{
    public const int MaxNetworks = 100;

    private const string AllSql = "SELECT tenant_id AS TenantId, networks AS Networks, require_tls AS RequireTls, updated_at AS UpdatedAt FROM smtp_connectors";

    private const string GetSql = AllSql + " WHERE tenant_id = @tenantId";

    private const string DeleteSql = "DELETE FROM smtp_connectors WHERE tenant_id = @tenantId";

    private const string InsertSql = "INSERT INTO smtp_connectors (tenant_id, networks, require_tls, updated_at) VALUES (@tenantId, @networks, @requireTls, @now)";

    // Read at most this often: a relay connects many times a second, settings change rarely.
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    // One reference, swapped whole: readers on other sessions never see half of an update.
    private sealed record Cached(IReadOnlyList<SmtpConnector> All, long Until);

    private volatile Cached? _cache;

    public async Task<SmtpConnector?> GetAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(GetSql, new { tenantId }, cancellationToken: cancellationToken));
        return row?.ToConnector();
    }

    /// <summary>
    /// Sets the tenant's networks (none: connector mode off). Returns the network of another
    /// tenant that overlaps one of these, and saves nothing then.
    /// </summary>
    public async Task<(string Mine, string Theirs)?> SaveAsync(string tenantId, IReadOnlyList<IPNetwork> networks, bool requireTls, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var others = (await connection.QueryAsync<Row>(new CommandDefinition(AllSql, transaction: transaction, cancellationToken: cancellationToken)))
            .Where(r => r.TenantId != tenantId).Select(r => r.ToConnector());
        foreach (var other in others)
        {
            foreach (var theirs in other.Networks)
            {
                foreach (var mine in networks)
                {
                    if (Overlap(mine, theirs))
                    {
                        return (mine.ToString(), theirs.ToString());
                    }
                }
            }
        }

        await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { tenantId }, transaction, cancellationToken: cancellationToken));
        if (networks.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(InsertSql,
                new { tenantId, networks = JsonSerializer.Serialize(networks.Select(n => n.ToString())), requireTls, now = time.NowMs() }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        _cache = null;
        return null;
    }

    /// <summary>The tenant whose connector takes mail from <paramref name="client"/>, if any.</summary>
    public async Task<SmtpConnector?> ForClientAsync(IPAddress client, CancellationToken cancellationToken = default)
    {
        var now = time.NowMs();
        var cached = _cache;
        if (cached is null || cached.Until <= now)
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            var all = (await connection.QueryAsync<Row>(new CommandDefinition(AllSql, cancellationToken: cancellationToken))).Select(r => r.ToConnector()).ToList();
            cached = new Cached(all, now + (long)CacheFor.TotalMilliseconds);
            _cache = cached;
        }

        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        return cached.All.FirstOrDefault(c => c.Networks.Any(n => n.Contains(address)));
    }

    private static bool Overlap(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));

    private sealed record Row
    {
        public string TenantId { get; init; } = "";
        public string Networks { get; init; } = "[]";
        public bool RequireTls { get; init; }
        public long UpdatedAt { get; init; }

        public SmtpConnector ToConnector() => new(TenantId,
            (JsonSerializer.Deserialize<List<string>>(Networks) ?? []).Select(n => IPNetwork.Parse(n)).ToList(), RequireTls, UpdatedAt);
    }
}
