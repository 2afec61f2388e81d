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

    private Dictionary<string, List<string>>? _byLabel;

    /// <summary>
    /// The delivered domains whose own label (globalparts of globalparts.co.uk, abctrading of
    /// abc-trading.com), in lower-case letters and digits, is <paramref name="key"/>: where a
    /// company written in English (Global Parts Ltd.) is mailed. Built on first use.
    /// </summary>
    public IReadOnlyList<string> WithLabel(string key)
    {
        var index = LazyInitializer.EnsureInitialized(ref _byLabel, BuildLabelIndex);
        return index.TryGetValue(key, out var domains) ? domains : [];
    }

    private Dictionary<string, List<string>> BuildLabelIndex()
    {
        var index = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var domain in _domains)
        {
            var key = LabelKey(domain);
            if (key.Length >= 3)
            {
                (index.TryGetValue(key, out var list) ? list : index[key] = []).Add(domain);
            }
        }

        return index;
    }

    /// <summary>The label a company chose: the one before the public suffix (co.jp, co.uk, com), letters and digits only.</summary>
    internal static string LabelKey(string domain)
    {
        var labels = domain.ToLowerInvariant().Split('.', StringSplitOptions.RemoveEmptyEntries);
        if (labels.Length < 2)
        {
            return "";
        }

        var secondLevel = labels.Length >= 3 && labels[^1].Length == 2 && labels[^2] is "co" or "ne" or "or" or "ac" or "go" or "com" or "net" or "org" or "gr" or "ed" or "lg" or "gov" or "edu";
        var label = secondLevel ? labels[^3] : labels[^2];
        return new string(label.Where(char.IsAsciiLetterOrDigit).ToArray());
    }
}

/// <summary>Everything one evaluation reads besides the rules themselves.</summary>
public sealed class EvaluationContext(MessageFacts facts, TenantSettings settings, KnownDomainSet known, SenderHistory? sender = null,
    CompanyLookup? companies = null)
{
    /// <summary>Where the tenant's delivered mail greeted the companies this message names, and whom it greeted at its recipients' domains.</summary>
    public CompanyLookup Companies { get; } = companies ?? CompanyLookup.Empty;

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
