using Dapper;
using SendGate.Core.Data;

namespace SendGate.Core.Policies;

/// <summary>
/// What one sender has delivered to, as far as one message needs it: for each of the message's
/// recipient domains, the addresses there the sender has written to (and how many mails), and
/// which of those domains the sender has mailed together. Read per decision for the message's own
/// domains only, so its cost does not grow with the sender's history. Also which of those
/// addresses the colleagues on the message (its internal recipients) have written to: a hand-over
/// with the predecessor in Cc is no stranger.
/// </summary>
public sealed class SenderHistory
{
    public static readonly SenderHistory Empty = new([], []);

    // At most this many colleagues on one message are asked about.
    private const int MaxColleagues = 10;

    private readonly Dictionary<string, int> _addresses;
    private readonly Dictionary<string, int> _domains;
    private readonly HashSet<(string, string)> _pairs;
    private readonly HashSet<string> _colleagues;

    public SenderHistory(IEnumerable<(string Address, string Domain, int Mails)> contacts, IEnumerable<(string A, string B)> pairs,
        IEnumerable<string>? colleaguesContacts = null)
    {
        _colleagues = new HashSet<string>(colleaguesContacts ?? [], StringComparer.OrdinalIgnoreCase);
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

    /// <summary>Whether a colleague on the message (an internal recipient) has had mail delivered to <paramref name="address"/>.</summary>
    public bool KnownToColleague(string address) => _colleagues.Contains(address);

    public bool MailedTogether(string a, string b) => _pairs.Contains(Order(a.ToLowerInvariant(), b.ToLowerInvariant()));

    private static (string, string) Order(string a, string b) => string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);

    private const string ContactsSql = """
        SELECT address AS Address, domain AS Domain, mails AS Mails FROM delivered_contacts
         WHERE tenant_id = @tenantId AND sender = @sender AND domain IN @domains
        """;

    private const string ColleaguesSql = """
        SELECT DISTINCT address FROM delivered_contacts
         WHERE tenant_id = @tenantId AND sender IN @colleagues AND domain IN @domains
        """;

    private const string PairsSql = """
        SELECT domain_a AS A, domain_b AS B FROM delivered_domain_pairs
         WHERE tenant_id = @tenantId AND sender = @sender AND domain_a IN @domains AND domain_b IN @domains
        """;

    /// <summary>
    /// The history of <paramref name="sender"/> for <paramref name="domains"/> (at most 50 of them are
    /// looked at), and which addresses there <paramref name="colleagues"/> have written to.
    /// </summary>
    public static async Task<SenderHistory> LoadAsync(IDbConnectionFactory db, string tenantId, string sender, IReadOnlyCollection<string> domains,
        IReadOnlyCollection<string> colleagues, CancellationToken cancellationToken)
    {
        if (sender.Length == 0 || domains.Count == 0)
        {
            return Empty;
        }

        var args = new { tenantId, sender = sender.ToLowerInvariant(), domains = domains.Take(50).ToList() };
        await using var connection = await db.OpenAsync(cancellationToken);
        var contacts = await connection.QueryAsync<(string, string, int)>(new CommandDefinition(ContactsSql, args, cancellationToken: cancellationToken));
        var pairs = domains.Count < 2 ? [] : await connection.QueryAsync<(string, string)>(new CommandDefinition(PairsSql, args, cancellationToken: cancellationToken));
        var others = colleagues.Select(c => c.ToLowerInvariant()).Where(c => c != args.sender).Distinct(StringComparer.Ordinal).Take(MaxColleagues).ToList();
        var known = others.Count == 0 ? [] : await connection.QueryAsync<string>(new CommandDefinition(ColleaguesSql,
            new { tenantId, colleagues = others, args.domains }, cancellationToken: cancellationToken));
        return new SenderHistory(contacts, pairs, known);
    }
}
