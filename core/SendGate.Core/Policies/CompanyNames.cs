using System.Collections.Concurrent;
using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Policies;

/// <summary>
/// Which company names the tenant's delivered mail greeted at which domain: a mail whose
/// salutation says 株式会社クライアント and that went to client.example alone teaches that
/// クライアント is client.example. The salutation check reads it to notice a mail greeting one
/// customer sent to another. Each name and domain is written once; this host remembers what it
/// wrote so that a delivery costs no write when nothing is new.
/// </summary>
public sealed class CompanyNames(IDbConnectionFactory db, TimeProvider time)
{
    // Enough for a salutation, a subject, the headings of a few files and a list of customers.
    private const int MaxNames = 50;

    /// <summary>A domain whose mail greeted more names than this is shared (a mail provider, a group's common domain): its names say nothing.</summary>
    public const int MaxNamesPerDomain = 3;

    private const string NamesSql =
        "SELECT name AS Name, domain AS Domain FROM delivered_company_names WHERE tenant_id = @tenantId AND domain IN @domains";

    private const string DomainsSql = "SELECT name AS Name, domain AS Domain FROM delivered_company_names WHERE tenant_id = @tenantId AND name IN @names";

    private readonly ConcurrentDictionary<(string Tenant, string Name, string Domain), bool> _written = new();

    /// <summary>Remembers <paramref name="names"/> as greeted at <paramref name="domain"/>.</summary>
    public async Task RecordAsync(string tenantId, string domain, IReadOnlyList<string> names, CancellationToken cancellationToken = default)
    {
        var fresh = names.Take(MaxNames).Where(n => !_written.ContainsKey((tenantId, n, domain))).ToList();
        if (fresh.Count == 0)
        {
            return;
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(db.Dialect.InsertCompanyNameSql,
            fresh.Select(name => new { tenantId, name, domain, now = time.NowMs() }), cancellationToken: cancellationToken));
        foreach (var name in fresh)
        {
            _written[(tenantId, name, domain)] = true;
        }
    }

    /// <summary>
    /// For each of <paramref name="names"/>, the domains mail greeting it was delivered to; and for
    /// each of <paramref name="domains"/>, the names its delivered mail greeted (one connection, two
    /// indexed reads).
    /// </summary>
    public async Task<CompanyLookup> LookupAsync(string tenantId, IReadOnlyList<string> names, IReadOnlyList<string> domains,
        CancellationToken cancellationToken = default)
    {
        if (names.Count == 0 && domains.Count == 0)
        {
            return CompanyLookup.Empty;
        }

        await using var connection = await db.OpenAsync(cancellationToken);
        var byName = names.Count == 0 ? [] : await connection.QueryAsync<(string Name, string Domain)>(new CommandDefinition(DomainsSql,
            new { tenantId, names = names.Take(MaxNames).ToList() }, cancellationToken: cancellationToken));
        var byDomain = domains.Count == 0 ? [] : await connection.QueryAsync<(string Name, string Domain)>(new CommandDefinition(NamesSql,
            new { tenantId, domains = domains.Take(MaxNames).ToList() }, cancellationToken: cancellationToken));
        return new CompanyLookup(
            byName.GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(r => r.Domain).ToList(), StringComparer.Ordinal),
            byDomain.GroupBy(r => r.Domain, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(r => r.Name).ToList(), StringComparer.Ordinal));
    }
}

/// <summary>What the tenant's delivered mail says of the companies a message names and of its recipients' domains.</summary>
/// <param name="DomainsOf">For each company name the message names, the domains mail greeting it went to.</param>
/// <param name="NamesAt">For each recipient domain, the company names its delivered mail greeted.</param>
public sealed record CompanyLookup(IReadOnlyDictionary<string, IReadOnlyList<string>> DomainsOf, IReadOnlyDictionary<string, IReadOnlyList<string>> NamesAt)
{
    public static readonly CompanyLookup Empty = new(new Dictionary<string, IReadOnlyList<string>>(), new Dictionary<string, IReadOnlyList<string>>());
}
