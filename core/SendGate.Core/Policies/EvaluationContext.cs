using SendGate.Core.Policies.Detectors;

namespace SendGate.Core.Policies;

/// <summary>Domains this tenant has delivered to: the history behind first-time and look-alike checks.</summary>
public sealed class KnownDomainSet
{
    public static readonly KnownDomainSet Empty = new([]);

    private readonly HashSet<string> _domains;
    private (IReadOnlyList<string> Internal, KnownDomainIndex Index)? _index;

    public KnownDomainSet(IEnumerable<string> domains)
    {
        _domains = new HashSet<string>(domains, StringComparer.OrdinalIgnoreCase);
    }

    public int Count => _domains.Count;

    public bool Contains(string domain) => _domains.Contains(domain);

    public IEnumerable<string> Domains => _domains;

    /// <summary>
    /// Delivered and internal domains, indexed for look-alike search; built on first use (only
    /// policies with a look-alike rule need it) and again when the internal domains change.
    /// </summary>
    public KnownDomainIndex Index(IReadOnlyList<string> internalDomains)
    {
        var current = _index;
        if (current is { } c && ReferenceEquals(c.Internal, internalDomains))
        {
            return c.Index;
        }

        var index = new KnownDomainIndex(_domains.Concat(internalDomains).Distinct(StringComparer.OrdinalIgnoreCase).ToList());
        _index = (internalDomains, index);
        return index;
    }

    public KnownDomainSet With(IEnumerable<string> more) => new(_domains.Concat(more));
}

/// <summary>Everything one evaluation reads besides the rules themselves.</summary>
public sealed class EvaluationContext(MessageFacts facts, TenantSettings settings, KnownDomainSet known, SenderHistory? sender = null,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? companyDomains = null)
{
    /// <summary>For each company the salutation names, the domains the tenant's delivered mail greeting it went to.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> CompanyDomains { get; } = companyDomains ?? new Dictionary<string, IReadOnlyList<string>>();

    public MessageFacts Facts { get; } = facts;
    public TenantSettings Settings { get; } = settings;
    public KnownDomainSet Known { get; } = known;

    /// <summary>Whom this message's sender has written to, for the message's domains.</summary>
    public SenderHistory Sender { get; } = sender ?? SenderHistory.Empty;

    public bool IsInternal(string domain) => DomainMatch.Covers(Settings.InternalDomains, domain);

    public bool InGroup(string group, string address)
    {
        if (!Settings.SenderGroups.TryGetValue(group, out var members))
        {
            return false;
        }

        foreach (var member in members)
        {
            if (member.StartsWith('@')
                ? DomainMatch.Covers(member.AsSpan(1), MessageFacts.DomainOf(address))
                : member.Equals(address, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Domain lists match the domain itself and its subdomains (<c>example.jp</c> covers <c>mail.example.jp</c>).</summary>
public static class DomainMatch
{
    public static bool Covers(IReadOnlyList<string> list, string domain)
    {
        foreach (var entry in list)
        {
            if (Covers(entry.AsSpan(), domain))
            {
                return true;
            }
        }

        return false;
    }

    public static bool Covers(ReadOnlySpan<char> entry, string domain) =>
        domain.AsSpan().Equals(entry, StringComparison.OrdinalIgnoreCase)
        || (domain.Length > entry.Length + 1
            && domain.AsSpan(domain.Length - entry.Length).Equals(entry, StringComparison.OrdinalIgnoreCase)
            && domain[domain.Length - entry.Length - 1] == '.');
}
