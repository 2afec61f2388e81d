using SendGate.Core.Mime;
using SendGate.Core.Policies;

namespace SendGate.Core.Approvals;

/// <summary>
/// Who approves whose mail: entries matched by sender (the first that matches applies; an entry
/// without senders matches everyone), each with one or two levels of approvers; fallback
/// approvers for escalation; proxies who act for an absent approver within a date range.
/// </summary>
public sealed record ApprovalRouteSpec
{
    public string? Name { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<RouteEntrySpec>? Entries { get; init; }
    public IReadOnlyList<string>? FallbackApprovers { get; init; }
    public IReadOnlyList<ProxySpec>? Proxies { get; init; }

    /// <summary>Read-only.</summary>
    public DateTimeOffset? UpdatedAt { get; init; }
}

public sealed record RouteEntrySpec
{
    public SenderScope? Senders { get; init; }
    public IReadOnlyList<ApprovalLevelSpec>? Levels { get; init; }
}

public sealed record ApprovalLevelSpec
{
    public IReadOnlyList<string>? Approvers { get; init; }

    /// <summary><c>any</c> (one approval suffices, default) or <c>all</c>.</summary>
    public string? Mode { get; init; }
}

public sealed record ProxySpec
{
    public string? Approver { get; init; }
    public string? Proxy { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? Until { get; init; }
}

/// <summary>A level as resolved for one request.</summary>
public sealed record ApprovalLevel(IReadOnlyList<string> Approvers, string Mode);

/// <summary>A proxy as resolved for one request: acts for <see cref="Approver"/> between the dates.</summary>
public sealed record ApprovalProxy(string Approver, string Proxy, DateTimeOffset? From, DateTimeOffset? Until)
{
    public bool ActiveAt(DateTimeOffset at) => (From is null || at >= From) && (Until is null || at < Until);
}

/// <summary>
/// The route as it applies to one message, recorded on the request when it is created.
/// <see cref="Senders"/> are the mail's own sender addresses (envelope and header From), who never
/// decide it; <see cref="Skipped"/> the approvers left out for that reason. Both are absent from
/// requests recorded before senders were excluded.
/// </summary>
public sealed record ResolvedRoute(string Name, IReadOnlyList<ApprovalLevel> Levels, IReadOnlyList<string> Fallback, IReadOnlyList<ApprovalProxy> Proxies,
    IReadOnlyList<string>? Senders = null, IReadOnlyList<string>? Skipped = null)
{
    public static ResolvedRoute Unroutable(string name) => new(name, [], [], []);

    /// <summary>
    /// Segregation of duties: the route without the mail's senders. A level they alone made up is
    /// dropped (the next level asks), fallback approvers lose them too, and no proxy acts for or as
    /// them. With nobody left, the request has no approver, as for a sender no entry covers.
    /// </summary>
    public ResolvedRoute WithoutSenders(IReadOnlySet<string> senders)
    {
        var skipped = Levels.SelectMany(l => l.Approvers).Concat(Fallback).Concat(Proxies.Select(p => p.Proxy))
            .Where(senders.Contains).Distinct(StringComparer.Ordinal).ToList();
        return this with
        {
            Levels = Levels.Select(l => l with { Approvers = l.Approvers.Where(a => !senders.Contains(a)).ToList() }).Where(l => l.Approvers.Count > 0).ToList(),
            Fallback = Fallback.Where(a => !senders.Contains(a)).ToList(),
            Proxies = Proxies.Where(p => !senders.Contains(p.Proxy) && !senders.Contains(p.Approver)).ToList(),
            Senders = senders.Order(StringComparer.Ordinal).ToList(),
            Skipped = skipped,
        };
    }
}

public static class ApprovalRoutes
{
    public static IReadOnlyList<Violation> Validate(ApprovalRouteSpec route, IReadOnlyDictionary<string, IReadOnlyList<string>> groups)
    {
        var violations = new List<Violation>();
        if (string.IsNullOrWhiteSpace(route.Name) || route.Name.Length > 100 || route.Name.Any(c => char.IsControl(c) || c is '/' or '?' or '#'))
        {
            violations.Add(new("name", ViolationCode.InvalidField, "name is 1 to 100 characters without control characters, '/', '?' or '#'."));
        }

        if (route.Entries is not { Count: > 0 })
        {
            violations.Add(new("entries", ViolationCode.InvalidField, "A route needs at least one entry (senders → levels of approvers)."));
        }

        for (var i = 0; i < (route.Entries?.Count ?? 0); i++)
        {
            var entry = route.Entries![i];
            if (entry.Senders is { } senders)
            {
                if ((senders.Addresses?.Count ?? 0) + (senders.Domains?.Count ?? 0) + (senders.Groups?.Count ?? 0) == 0)
                {
                    violations.Add(new($"entries[{i}].senders", ViolationCode.InvalidField, "senders needs addresses, domains or groups (leave it out to cover every sender)."));
                }

                Addresses(senders.Addresses, $"entries[{i}].senders.addresses", violations, required: false);
                foreach (var domain in senders.Domains ?? [])
                {
                    if (!PolicyCompiler.IsDomain(domain.Trim().TrimStart('@').ToLowerInvariant()))
                    {
                        violations.Add(new($"entries[{i}].senders.domains", ViolationCode.InvalidField, $"'{domain}' is not a domain name."));
                    }
                }
            }

            foreach (var group in entry.Senders?.Groups ?? [])
            {
                if (!groups.ContainsKey(group))
                {
                    violations.Add(new($"entries[{i}].senders.groups", ViolationCode.InvalidField, $"Sender group '{group}' is not defined in the tenant settings."));
                }
            }

            if (entry.Levels is not { Count: 1 or 2 })
            {
                violations.Add(new($"entries[{i}].levels", ViolationCode.InvalidField, "An entry has one level of approvers, or two (e.g. manager, then department head)."));
                continue;
            }

            for (var l = 0; l < entry.Levels.Count; l++)
            {
                var level = entry.Levels[l];
                Addresses(level.Approvers, $"entries[{i}].levels[{l}].approvers", violations, required: true);
                if (level.Mode is not (null or "any" or "all"))
                {
                    violations.Add(new($"entries[{i}].levels[{l}].mode", ViolationCode.InvalidField, "mode is any (one approval suffices) or all."));
                }
            }
        }

        Addresses(route.FallbackApprovers, "fallbackApprovers", violations, required: false);
        for (var i = 0; i < (route.Proxies?.Count ?? 0); i++)
        {
            var proxy = route.Proxies![i];
            Addresses(proxy.Approver is null ? null : [proxy.Approver], $"proxies[{i}].approver", violations, required: true);
            Addresses(proxy.Proxy is null ? null : [proxy.Proxy], $"proxies[{i}].proxy", violations, required: true);
            if (proxy.From is { } from && proxy.Until is { } until && until <= from)
            {
                violations.Add(new($"proxies[{i}].until", ViolationCode.InvalidField, "until must be after from."));
            }
        }

        return violations;
    }

    /// <summary>The levels that apply to mail from <paramref name="sender"/>; none when no entry matches.</summary>
    public static ResolvedRoute Resolve(ApprovalRouteSpec route, string sender, TenantSettings settings)
    {
        // Sender matching reads only the tenant settings (groups), never the message.
        var context = new EvaluationContext(null!, settings, KnownDomainSet.Empty);
        foreach (var entry in route.Entries ?? [])
        {
            var scope = entry.Senders;
            if (scope is not null && SenderCondition.Matches(context, sender, Lower(scope.Addresses), Lower(scope.Domains).Select(d => d.TrimStart('@')).ToList(), scope.Groups ?? []) is null)
            {
                continue;
            }

            return new ResolvedRoute(route.Name!,
                (entry.Levels ?? []).Select(l => new ApprovalLevel(Lower(l.Approvers), l.Mode ?? "any")).ToList(),
                Lower(route.FallbackApprovers),
                (route.Proxies ?? []).Select(p => new ApprovalProxy(p.Approver!.Trim().ToLowerInvariant(), p.Proxy!.Trim().ToLowerInvariant(), p.From, p.Until)).ToList());
        }

        // No entry for this sender: nobody at the first level, but the fallback approvers still
        // receive the request when the deadline escalates it.
        return new ResolvedRoute(route.Name!, [], Lower(route.FallbackApprovers),
            (route.Proxies ?? []).Select(p => new ApprovalProxy(p.Approver!.Trim().ToLowerInvariant(), p.Proxy!.Trim().ToLowerInvariant(), p.From, p.Until)).ToList());
    }

    /// <summary>
    /// The addresses a mail is sent as, lower case: the envelope sender and every mailbox of the
    /// header From (they differ when an assistant sends for someone, or a Sender header is set).
    /// </summary>
    /// <summary>Whether <paramref name="address"/> is on the request's route: at a level, as a fallback or as a proxy.</summary>
    public static bool Involves(ApprovalRequestRow request, string? address) =>
        address is not null && (request.Route.Levels.Any(l => l.Approvers.Contains(address)) || request.Route.Fallback.Contains(address)
            || request.Route.Proxies.Any(p => p.Proxy == address));

    public static IReadOnlySet<string> SendersOf(string envelopeFrom, string? headerFrom)
    {
        var senders = new HashSet<string>(StringComparer.Ordinal);
        if (!string.IsNullOrWhiteSpace(envelopeFrom))
        {
            senders.Add(envelopeFrom.Trim().ToLowerInvariant());
        }

        if (!string.IsNullOrWhiteSpace(headerFrom) && MimeKit.InternetAddressList.TryParse(headerFrom, out var from))
        {
            foreach (var mailbox in from.Mailboxes)
            {
                senders.Add(mailbox.Address.Trim().ToLowerInvariant());
            }
        }

        return senders;
    }

    private static IReadOnlyList<string> Lower(IReadOnlyList<string>? values) =>
        (values ?? []).Select(v => v.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();

    private static void Addresses(IReadOnlyList<string>? addresses, string field, List<Violation> violations, bool required)
    {
        if (required && addresses is not { Count: > 0 })
        {
            violations.Add(new(field, ViolationCode.InvalidField, "At least one e-mail address is required."));
            return;
        }

        foreach (var address in addresses ?? [])
        {
            var at = address.LastIndexOf('@');
            if (at <= 0 || at == address.Length - 1 || address.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                violations.Add(new(field, ViolationCode.InvalidField, $"'{address}' is not an e-mail address."));
            }
        }
    }
}
