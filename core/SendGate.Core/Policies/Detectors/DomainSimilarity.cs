using System.Buffers;
using System.Globalization;
using System.Numerics;

namespace SendGate.Core.Policies.Detectors;

/// <summary>A recipient domain that looks like a known one: <c>homoglyph</c> (same skeleton) or <c>edit-distance</c>.</summary>
public sealed record LookAlike(string Domain, string Resembles, string Kind, int Distance);

/// <summary>Look-alike domain checks: bounded edit distance and a confusable skeleton.</summary>
public static class DomainSimilarity
{
    public const string Homoglyph = "homoglyph";
    public const string EditDistance = "edit-distance";

    /// <summary>Levenshtein distance of two strings, or <paramref name="max"/> + 1 as soon as it is known to exceed <paramref name="max"/>.</summary>
    public static int BoundedDistance(string a, string b, int max)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        var over = max + 1;
        if (Math.Abs(a.Length - b.Length) > max)
        {
            return over;
        }
        if (a.Length == 0 || b.Length == 0)
        {
            return Math.Max(a.Length, b.Length);
        }

        var width = b.Length + 1;
        int[]? rented = null;
        Span<int> rows = width <= 256 ? stackalloc int[2 * width] : (rented = ArrayPool<int>.Shared.Rent(2 * width));
        try
        {
            return Banded(a, b, max, rows[..width], rows[width..(2 * width)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Only cells within <paramref name="max"/> of the diagonal can lead to a distance ≤ max, so each row
    /// computes that band and treats the rest as "over"; a row whose band is all over ends the search.
    /// </summary>
    private static int Banded(string a, string b, int max, Span<int> previous, Span<int> current)
    {
        var over = max + 1;
        for (var j = 0; j < previous.Length; j++)
        {
            previous[j] = j <= max ? j : over;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            var low = Math.Max(1, i - max);
            var high = Math.Min(b.Length, i + max);
            current[0] = i <= max ? i : over;
            current[low - 1] = low == 1 ? current[0] : over;
            var rowMin = current[low - 1];
            var ca = a[i - 1];
            for (var j = low; j <= high; j++)
            {
                var substitute = previous[j - 1] + (ca == b[j - 1] ? 0 : 1);
                var value = Math.Min(substitute, Math.Min(previous[j], current[j - 1]) + 1);
                value = Math.Min(value, over);
                current[j] = value;
                rowMin = Math.Min(rowMin, value);
            }
            if (high < b.Length)
            {
                // The next row's band reaches one column further and reads this cell.
                current[high + 1] = over;
            }
            if (rowMin > max)
            {
                return over;
            }
            var swap = previous;
            previous = current;
            current = swap;
        }
        return Math.Min(previous[b.Length], over);
    }

    /// <summary>
    /// Folds a domain to the ASCII shape a reader sees: IDN decoded, full-width folded, confusable
    /// letters and digits mapped to one representative (so <c>examp1e</c>, <c>ехample</c> and <c>example</c> agree).
    /// </summary>
    public static string Skeleton(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return SkeletonOfCanonical(Canonical(domain));
    }

    internal static string SkeletonOfCanonical(string text)
    {
        Span<char> mapped = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            mapped[i] = Confusable(text[i]);
        }

        // Pairs that read as one letter; done after the single letters so that "c1" or "сl" (Cyrillic с) fold to "d" too.
        Span<char> folded = mapped.Length <= 256 ? stackalloc char[mapped.Length] : new char[mapped.Length];
        var length = 0;
        for (var i = 0; i < mapped.Length; i++)
        {
            var pair = i + 1 < mapped.Length ? (mapped[i], mapped[i + 1]) : (mapped[i], '\0');
            var merged = pair switch
            {
                ('r', 'n') => 'm',
                ('v', 'v') => 'w',
                ('c', 'l') => 'd',
                _ => '\0',
            };
            if (merged != '\0')
            {
                folded[length++] = merged;
                i++;
            }
            else
            {
                folded[length++] = mapped[i];
            }
        }
        return new string(folded[..length]);
    }

    /// <summary>Builds a one-off index; callers checking many recipients should keep a <see cref="KnownDomainIndex"/>.</summary>
    public static LookAlike? Find(string domain, IReadOnlyCollection<string> knownDomains, int maxDistance = 2) =>
        new KnownDomainIndex(knownDomains).Find(domain, maxDistance);

    /// <summary>The form domains are compared in: trimmed, NFKC, lower case, IDN labels decoded to Unicode.</summary>
    internal static string Canonical(string domain)
    {
        var text = TextNormalizer.Normalize(domain.Trim()).Replace('。', '.').TrimEnd('.');
        if (text.Contains("xn--", StringComparison.Ordinal))
        {
            try
            {
                text = TextNormalizer.Normalize(new IdnMapping().GetUnicode(text));
            }
            catch (ArgumentException)
            {
                // Not valid punycode: compare it as written, which is what the user sees anyway.
            }
        }
        return text;
    }

    // A curated subset of Unicode's confusables.txt for letters that render like Latin ones in
    // common mail fonts; input is already lower-case, so only lower-case forms are listed.
    private static char Confusable(char c) => c switch
    {
        '0' => 'o',
        '1' => 'l',
        '3' => 'e',
        '5' => 's',
        'i' => 'l',
        'ı' => 'l',
        'ɩ' => 'l',
        'ɑ' => 'a',
        'ɡ' => 'g',
        // Cyrillic
        'а' => 'a',
        'е' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'х' => 'x',
        'у' => 'y',
        'ү' => 'y',
        'і' => 'l',
        'ӏ' => 'l',
        'ѕ' => 's',
        'ј' => 'j',
        'ԁ' => 'd',
        'һ' => 'h',
        'ԛ' => 'q',
        'ԝ' => 'w',
        // Greek
        'ο' => 'o',
        'α' => 'a',
        'ν' => 'v',
        'ι' => 'l',
        'ρ' => 'p',
        'υ' => 'u',
        'γ' => 'y',
        'χ' => 'x',
        _ => c,
    };
}

/// <summary>
/// Known domains prepared once (skeletons and lengths) so that each recipient is checked with a
/// dictionary look-up plus edit distance against the few known domains of a similar length.
/// </summary>
public sealed class KnownDomainIndex
{
    private const int MinEditLength = 6;

    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _bySkeleton = new(StringComparer.Ordinal);
    private readonly Dictionary<int, List<Entry>> _byLength = [];

    /// <summary>A known domain with what the edit-distance pass needs before it pays for the DP.</summary>
    private readonly record struct Entry(string Domain, ulong Chars, int FirstLabel);

    public KnownDomainIndex(IEnumerable<string> knownDomains)
    {
        ArgumentNullException.ThrowIfNull(knownDomains);
        foreach (var raw in knownDomains)
        {
            if (string.IsNullOrWhiteSpace(raw))
            {
                continue;
            }
            var domain = DomainSimilarity.Canonical(raw);
            if (domain.Length == 0 || !_known.Add(domain))
            {
                continue;
            }
            Bucket(_bySkeleton, DomainSimilarity.SkeletonOfCanonical(domain)).Add(domain);
            Bucket(_byLength, domain.Length).Add(new Entry(domain, CharSet(domain), FirstLabelLength(domain)));
        }
        // Sorted twins make the ordinal tie-break a matter of keeping the first best.
        foreach (var list in _bySkeleton.Values)
        {
            list.Sort(StringComparer.Ordinal);
        }
    }

    public int Count => _known.Count;

    public LookAlike? Find(string domain, int maxDistance = 2)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDistance);
        var candidate = DomainSimilarity.Canonical(domain);
        if (candidate.Length == 0 || _known.Contains(candidate) || IsSubdomainOfKnown(candidate))
        {
            return null;
        }

        if (Resembling(domain, candidate, maxDistance) is { } hit)
        {
            return hit;
        }

        // A host under a look-alike (mail.examp1e.co.jp) is as misleading as the look-alike itself.
        for (var dot = candidate.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = candidate.IndexOf('.', dot + 1))
        {
            var parent = candidate[(dot + 1)..];
            if (parent.Contains('.', StringComparison.Ordinal) && Resembling(domain, parent, maxDistance) is { } parentHit)
            {
                return parentHit;
            }
        }

        return null;
    }

    private LookAlike? Resembling(string domain, string candidate, int maxDistance)
    {
        if (_bySkeleton.TryGetValue(DomainSimilarity.SkeletonOfCanonical(candidate), out var twins))
        {
            LookAlike? best = null;
            foreach (var known in twins)
            {
                var distance = DomainSimilarity.BoundedDistance(candidate, known, Math.Max(candidate.Length, known.Length));
                if (best is null || distance < best.Distance)
                {
                    best = new LookAlike(domain, known, DomainSimilarity.Homoglyph, distance);
                }
            }
            return best;
        }

        return maxDistance == 0 || candidate.Length < MinEditLength ? null : NearestByEdits(domain, candidate, maxDistance);
    }

    private LookAlike? NearestByEdits(string domain, string candidate, int maxDistance)
    {
        string? bestDomain = null;
        var bestDistance = int.MaxValue;
        var candidateLabel = FirstLabelLength(candidate);
        var candidateChars = CharSet(candidate);
        for (var length = candidate.Length - maxDistance; length <= candidate.Length + maxDistance; length++)
        {
            if (length < MinEditLength || !_byLength.TryGetValue(length, out var sameLength))
            {
                continue;
            }
            foreach (var known in sameLength)
            {
                // A distance must stay below the shorter first label, or "abc.jp" would resemble "xyz.jp".
                var limit = Math.Min(maxDistance, Math.Min(candidateLabel, known.FirstLabel) - 1);
                if (limit < 1 || MissingChars(candidateChars, known.Chars) > limit)
                {
                    continue;
                }
                var distance = DomainSimilarity.BoundedDistance(candidate, known.Domain, limit);
                if (distance <= limit && (distance < bestDistance
                    || (distance == bestDistance && string.CompareOrdinal(known.Domain, bestDomain) < 0)))
                {
                    bestDomain = known.Domain;
                    bestDistance = distance;
                }
            }
        }
        return bestDomain is null ? null : new LookAlike(domain, bestDomain, DomainSimilarity.EditDistance, bestDistance);
    }

    private bool IsSubdomainOfKnown(string candidate)
    {
        var known = _known.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var dot = candidate.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = candidate.IndexOf('.', dot + 1))
        {
            if (known.Contains(candidate.AsSpan(dot + 1)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Which characters occur, one bit each (a–z, 0–9, '-', '.', anything else folded into the rest).
    /// Folding only merges characters, so the bound below stays a lower bound.
    /// </summary>
    private static ulong CharSet(string domain)
    {
        var set = 0UL;
        foreach (var c in domain)
        {
            var bit = c switch
            {
                >= 'a' and <= 'z' => c - 'a',
                >= '0' and <= '9' => 26 + (c - '0'),
                '-' => 36,
                '.' => 37,
                _ => 38 + (c % 26),
            };
            set |= 1UL << bit;
        }
        return set;
    }

    /// <summary>
    /// A lower bound on the edit distance: each character kind found in only one string needs an edit of
    /// its own on that side (a substitution can settle one kind from each side at once, hence the max).
    /// </summary>
    private static int MissingChars(ulong a, ulong b) =>
        Math.Max(BitOperations.PopCount(a & ~b), BitOperations.PopCount(b & ~a));

    private static int FirstLabelLength(string domain)
    {
        var dot = domain.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? domain.Length : dot;
    }

    private static List<TValue> Bucket<TKey, TValue>(Dictionary<TKey, List<TValue>> map, TKey key)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }
        return list;
    }
}
