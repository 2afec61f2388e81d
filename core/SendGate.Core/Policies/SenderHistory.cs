using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Policies;

/// <summary>
/// What one sender has delivered to, as far as one message needs it: for each of the message's
/// recipient domains, the addresses there the sender has written to (and how many mails), and
/// which of those domains the sender has mailed together. Read per decision for the message's own
/// domains only, so its cost does not grow with the sender's history.
/// </summary>
public sealed class SenderHistory
{
    public static readonly SenderHistory Empty = new([], []);

    private readonly Dictionary<string, int> _addresses;
    private readonly Dictionary<string, int> _domains;
    private readonly HashSet<(string, string)> _pairs;

    public SenderHistory(IEnumerable<(string Address, string Domain, int Mails)> contacts, IEnumerable<(string A, string B)> pairs)
    {
        _addresses = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        _domains = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (address, domain, mails) in contacts)
        {
            _addresses[address] = mails;
            _domains[domain] = _domains.GetValueOrDefault(domain) + mails;
        }

        _pairs = pairs.Select(p => Order(p.A, p.B)).ToHashSet();
    }

    /// <summary>Mails the sender has had delivered to <paramref name="address"/>.</summary>
    public int MailsTo(string address) => _addresses.GetValueOrDefault(address);

    /// <summary>Deliveries from the sender to addresses at <paramref name="domain"/> (a mail to two people there counts twice).</summary>
    public int MailsToDomain(string domain) => _domains.GetValueOrDefault(domain);

    /// <summary>The addresses at <paramref name="domain"/> the sender writes to most, most first.</summary>
    public IReadOnlyList<string> UsualAt(string domain, int count = 2) =>
        _addresses.Where(a => MessageFacts.DomainOf(a.Key) == domain).OrderByDescending(a => a.Value).ThenBy(a => a.Key, StringComparer.Ordinal)
            .Take(count).Select(a => a.Key).ToList();

    public bool MailedTogether(string a, string b) => _pairs.Contains(Order(a.ToLowerInvariant(), b.ToLowerInvariant()));

    private static (string, string) Order(string a, string b) => string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);

    private const string ContactsSql = """
        SELECT address AS Address, domain AS Domain, mails AS Mails FROM delivered_contacts
         WHERE tenant_id = @tenantId AND sender = @sender AND domain IN @domains
        """;

    private const string PairsSql = """
        SELECT domain_a AS A, domain_b AS B FROM delivered_domain_pairs
         WHERE tenant_id = @tenantId AND sender = @sender AND domain_a IN @domains AND domain_b IN @domains
        """;

    /// <summary>The history of <paramref name="sender"/> for <paramref name="domains"/> (at most 50 of them are looked at).</summary>
    public static async Task<SenderHistory> LoadAsync(IDbConnectionFactory db, string tenantId, string sender, IReadOnlyCollection<string> domains,
        CancellationToken cancellationToken)
    {
        if (sender.Length == 0 || domains.Count == 0)
        {
            return Empty;
        }

        var args = new { tenantId, sender = sender.ToLowerInvariant(), domains = domains.Take(50).ToList() };
        await using var connection = await db.OpenAsync(cancellationToken);
        var contacts = await connection.QueryAsync<(string, string, int)>(new CommandDefinition(ContactsSql, args, cancellationToken: cancellationToken));
        var pairs = domains.Count < 2 ? [] : await connection.QueryAsync<(string, string)>(new CommandDefinition(PairsSql, args, cancellationToken: cancellationToken));
        return new SenderHistory(contacts, pairs);
    }
}
