using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Mime;
using SendGate.Core.Telemetry;

namespace SendGate.Core.Policies;

/// <summary>A tenant's current policy (compiled) and settings, as one consistent pair.</summary>
public sealed record PolicySnapshot(CompiledPolicy? Policy, TenantSettings Settings);

public abstract record PolicyChange
{
    public sealed record Saved(PolicyDocument Document, RuleSpec? Rule) : PolicyChange;

    public sealed record Invalid(IReadOnlyList<Violation> Violations) : PolicyChange;

    public sealed record RuleNotFound(string RuleId) : PolicyChange;
}

/// <summary>
/// Reads, changes and applies tenants' policies. Every change stores the whole policy as the next
/// version; a change racing another one is re-applied on top of it (rule edits) so that no edit is
/// lost. Compiled policies are cached per host for <see cref="PolicyOptions.CacheDuration"/>.
/// </summary>
public sealed class PolicyService(
    PolicyStore store,
    CompanyNames companies,
    InitialPolicy initial,
    TimeProvider time,
    IOptions<PolicyOptions> options,
    SendGateMetrics metrics,
    ILogger<PolicyService> logger)
{
    private readonly ConcurrentDictionary<string, (PolicySnapshot Snapshot, long Until)> _snapshots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (KnownDomainSet Known, long Until)> _history = new(StringComparer.Ordinal);

    /// <summary>Decides a prepared submission: what a real submission stores and what the dry run answers.</summary>
    public async Task<PolicyDecision> DecideAsync(string tenantId, PreparedMessage message, DateTimeOffset? sendAt, CancellationToken cancellationToken = default) =>
        (await DecideWithSettingsAsync(tenantId, message, sendAt, cancellationToken)).Decision;

    /// <summary>The decision and the tenant settings it was made with (one snapshot, so what follows from the decision reads the same settings).</summary>
    public async Task<(PolicyDecision Decision, TenantSettings Settings)> DecideWithSettingsAsync(string tenantId, PreparedMessage message, DateTimeOffset? sendAt,
        CancellationToken cancellationToken = default)
    {
        var snapshot = await GetSnapshotAsync(tenantId, cancellationToken);
        return (await EvaluateAsync(tenantId, snapshot.Policy, snapshot.Settings, message, sendAt, cancellationToken), snapshot.Settings);
    }

    /// <summary>
    /// The decision <paramref name="message"/> would get if <paramref name="candidate"/> were saved as
    /// the tenant's policy now: validated as saving validates it (the violations instead of a
    /// decision), stamped as saving would stamp it, nothing stored. The decision has no policy version.
    /// </summary>
    public async Task<(PolicyDecision? Decision, IReadOnlyList<Violation> Violations)> DecideWithCandidateAsync(
        string tenantId, PolicyDocument candidate, PreparedMessage message, DateTimeOffset? sendAt, CancellationToken cancellationToken = default)
    {
        var current = await store.GetCurrentAsync(tenantId, cancellationToken);
        var currentDocument = current is null ? new PolicyDocument { Rules = [] } : PolicyStore.Deserialize(current.Document);
        var version = (current?.Version ?? 0) + 1;
        var stamped = Stamp(currentDocument, candidate, version);
        var (compiled, violations) = PolicyCompiler.Compile(stamped, version);
        if (compiled is null)
        {
            return (null, violations);
        }

        var groups = await UnknownGroupsAsync(tenantId, stamped, cancellationToken);
        if (groups.Count > 0)
        {
            return (null, groups);
        }

        var settings = (await GetSnapshotAsync(tenantId, cancellationToken)).Settings;
        var decision = await EvaluateAsync(tenantId, compiled, settings, message, sendAt, cancellationToken);
        return (decision with { PolicyVersion = null }, []);
    }

    public async Task<PolicySnapshot> GetSnapshotAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var now = time.NowMs();
        if (_snapshots.TryGetValue(tenantId, out var cached) && cached.Until > now)
        {
            return cached.Snapshot;
        }

        var current = await store.GetCurrentAsync(tenantId, cancellationToken);
        var tenant = await store.GetTenantAsync(tenantId, cancellationToken);
        var settings = tenant is null ? TenantSettings.Empty : PolicyStore.Settings(tenant);
        CompiledPolicy? policy = null;
        if (current is not null)
        {
            var (compiled, violations) = PolicyCompiler.Compile(PolicyStore.Deserialize(current.Document), current.Version);
            if (compiled is null)
            {
                // Stored versions were validated when saved; this only happens if validation became stricter.
                throw new InvalidOperationException($"Policy version {current.Version} of tenant {tenantId} no longer compiles: {violations[0].Field}: {violations[0].Message}");
            }

            policy = compiled;
        }

        var snapshot = new PolicySnapshot(policy, settings);
        _snapshots[tenantId] = (snapshot, now + (long)options.Value.CacheDuration.TotalMilliseconds);
        return snapshot;
    }

    /// <summary>
    /// Evaluates <paramref name="policy"/> with only the histories its rules read: the tenant's
    /// delivered domains (cached), whom the sender has written to at the message's domains, and
    /// where the companies the message names were greeted (both read per decision, so that a
    /// delivery a moment ago counts).
    /// </summary>
    private async Task<PolicyDecision> EvaluateAsync(string tenantId, CompiledPolicy? policy, TenantSettings settings, PreparedMessage message,
        DateTimeOffset? sendAt, CancellationToken cancellationToken)
    {
        // Under the submission's span, which names the message (a dry run has none).
        using var activity = SendGateTracing.Source.StartActivity("sendgate.policy.evaluate");
        activity?.SetTag(SendGateTracing.TenantId, tenantId).SetTag("sendgate.policy_version", policy?.Version);
        var started = time.GetTimestamp();
        var decision = await DecideAsync(tenantId, policy, settings, message, sendAt, cancellationToken);
        metrics.PolicyEvaluated(time.GetElapsedTime(started));
        activity.Ended(decision.Status);
        return decision;
    }

    private async Task<PolicyDecision> DecideAsync(string tenantId, CompiledPolicy? policy, TenantSettings settings, PreparedMessage message,
        DateTimeOffset? sendAt, CancellationToken cancellationToken)
    {
        var facts = new MessageFacts(message);
        var known = policy?.UsesDeliveryHistory == true ? await GetDeliveryHistoryAsync(tenantId, cancellationToken) : KnownDomainSet.Empty;
        var sender = policy?.UsesSenderHistory == true
            ? await store.GetSenderHistoryAsync(tenantId, facts.Sender, facts.Recipients.Select(r => r.Domain).Where(d => d.Length > 0).Distinct(StringComparer.Ordinal).ToList(),
                facts.Recipients.Where(r => DomainMatch.Covers(settings.InternalDomains, r.Domain)).Select(r => r.Address).ToList(), cancellationToken)
            : null;
        var names = policy?.UsesCompanyNames == true
            ? await companies.LookupAsync(tenantId, facts.SalutationCompanies.Select(c => c.Key).Concat(facts.DocumentCompanies.Select(d => d.Company.Key)).Concat(facts.DocumentMentions.SelectMany(m => m.Companies)).Concat(facts.DocumentListings.SelectMany(l => l.Companies)).Distinct(StringComparer.Ordinal).ToList(),
                facts.Recipients.Select(r => r.Domain).Where(d => d.Length > 0 && !DomainMatch.Covers(settings.InternalDomains, d)).Distinct(StringComparer.Ordinal).ToList(),
                cancellationToken)
            : null;
        return PolicyEngine.Evaluate(policy, settings, known, facts, sendAt, time.GetUtcNow(), sender, names);
    }

    public async Task<KnownDomainSet> GetDeliveryHistoryAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var now = time.NowMs();
        if (_history.TryGetValue(tenantId, out var cached) && cached.Until > now)
        {
            return cached.Known;
        }

        var known = new KnownDomainSet(await store.GetDeliveredDomainsAsync(tenantId, cancellationToken));
        _history[tenantId] = (known, now + (long)options.Value.DeliveryHistoryCacheDuration.TotalMilliseconds);
        return known;
    }

    /// <summary>Called once a relay accepted mail for new domains on this host, so that the next check knows them at once.</summary>
    public void RecordDelivered(string tenantId, IReadOnlyCollection<string> domains)
    {
        if (domains.Count > 0 && _history.TryGetValue(tenantId, out var cached) && domains.Any(d => !cached.Known.Contains(d)))
        {
            _history.TryRemove(tenantId, out _);
        }
    }

    public async Task<(PolicyDocument? Document, int Version)> GetDocumentAsync(string tenantId, int? version = null, CancellationToken cancellationToken = default)
    {
        var row = version is { } v ? await store.GetVersionAsync(tenantId, v, cancellationToken) : await store.GetCurrentAsync(tenantId, cancellationToken);
        return row is null ? (null, 0) : (WithStamp(row), row.Version);
    }

    public Task<IReadOnlyList<PolicyVersionRow>> ListVersionsAsync(string tenantId, CancellationToken cancellationToken = default) =>
        store.ListVersionsAsync(tenantId, cancellationToken);

    /// <summary>Replaces the whole policy (import). Rule ids given are kept; missing ones are assigned.</summary>
    public Task<PolicyChange> ReplaceAsync(string tenantId, PolicyDocument document, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(tenantId, actor, $"policy replaced ({document.Rules?.Count ?? 0} rules)", _ => (new PolicyDocument { Rules = document.Rules }, null), cancellationToken);

    public Task<PolicyChange> AddRuleAsync(string tenantId, RuleSpec rule, int? position, string actor, CancellationToken cancellationToken = default)
    {
        var withId = rule with { Id = rule.Id ?? PolicyCompiler.NewRuleId(), Version = null };
        return ChangeAsync(tenantId, actor, $"rule {withId.Id} added", current =>
        {
            var rules = (current.Rules ?? []).ToList();
            rules.Insert(Math.Clamp(position ?? rules.Count, 0, rules.Count), withId);
            return (new PolicyDocument { Rules = rules }, withId.Id);
        }, cancellationToken);
    }

    public Task<PolicyChange> UpdateRuleAsync(string tenantId, string ruleId, RuleSpec rule, int? position, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(tenantId, actor, $"rule {ruleId} updated", current =>
        {
            var rules = (current.Rules ?? []).ToList();
            var index = rules.FindIndex(r => r.Id == ruleId);
            if (index < 0)
            {
                return (null, ruleId);
            }

            rules.RemoveAt(index);
            rules.Insert(Math.Clamp(position ?? index, 0, rules.Count), rule with { Id = ruleId, Version = null });
            return (new PolicyDocument { Rules = rules }, ruleId);
        }, cancellationToken);

    public Task<PolicyChange> DeleteRuleAsync(string tenantId, string ruleId, string actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(tenantId, actor, $"rule {ruleId} deleted", current =>
        {
            var rules = (current.Rules ?? []).ToList();
            return rules.RemoveAll(r => r.Id == ruleId) == 0 ? (null, ruleId) : (new PolicyDocument { Rules = rules }, null);
        }, cancellationToken);

    /// <summary>The tenant's settings; null when the tenant does not exist.</summary>
    public async Task<(TenantRow Tenant, TenantSettings Settings)?> GetTenantAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var row = await store.GetTenantAsync(tenantId, cancellationToken);
        return row is null ? null : (row, PolicyStore.Settings(row));
    }

    public async Task UpdateTenantAsync(string tenantId, string name, TenantSettings settings, CancellationToken cancellationToken = default)
    {
        await store.UpdateTenantAsync(tenantId, name, settings, time.NowMs(), cancellationToken);
        _snapshots.TryRemove(tenantId, out _);
    }

    private async Task<PolicyChange> ChangeAsync(string tenantId, string actor, string change,
        Func<PolicyDocument, (PolicyDocument? Next, string? RuleId)> apply, CancellationToken cancellationToken)
    {
        // Two admins saving at once both compute version n+1; the primary key lets one win and the
        // other re-applies its edit on top of the winner's version.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var current = await store.GetCurrentAsync(tenantId, cancellationToken);
            var currentDocument = current is null ? new PolicyDocument { Rules = [] } : PolicyStore.Deserialize(current.Document);
            var (next, ruleId) = apply(currentDocument);
            if (next is null)
            {
                return new PolicyChange.RuleNotFound(ruleId!);
            }

            var version = (current?.Version ?? 0) + 1;
            var stamped = Stamp(currentDocument, next, version);
            var (compiled, violations) = PolicyCompiler.Compile(stamped, version);
            if (compiled is null)
            {
                return new PolicyChange.Invalid(violations);
            }

            var groups = await UnknownGroupsAsync(tenantId, stamped, cancellationToken);
            if (groups.Count > 0)
            {
                return new PolicyChange.Invalid(groups);
            }

            if (await store.TryInsertVersionAsync(tenantId, version, stamped, change, actor, time.NowMs(), cancellationToken))
            {
                _snapshots.TryRemove(tenantId, out _);
                Log.PolicyChanged(logger, tenantId, version, change, actor);
                var saved = (await GetDocumentAsync(tenantId, version, cancellationToken)).Document!;
                return new PolicyChange.Saved(saved, ruleId is null ? null : saved.Rules?.FirstOrDefault(r => r.Id == ruleId));
            }
        }

        throw new InvalidOperationException($"The policy of tenant {tenantId} kept changing while saving; try again.");
    }

    /// <summary>
    /// Assigns ids to new rules and a version to each rule: the new version when its content
    /// changed, the version it already had otherwise.
    /// </summary>
    private static PolicyDocument Stamp(PolicyDocument current, PolicyDocument next, int version)
    {
        var previous = (current.Rules ?? []).Where(r => r.Id is not null).GroupBy(r => r.Id!).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var rules = (next.Rules ?? []).Select(rule =>
        {
            var withId = rule with { Id = rule.Id ?? PolicyCompiler.NewRuleId() };
            var unchanged = previous.TryGetValue(withId.Id!, out var before)
                && JsonSerializer.Serialize(before with { Version = null }, PolicyStore.Json) == JsonSerializer.Serialize(withId with { Version = null }, PolicyStore.Json);
            return withId with { Version = unchanged ? before!.Version ?? version : version };
        }).ToList();
        return new PolicyDocument { Rules = rules };
    }

    private async Task<IReadOnlyList<Violation>> UnknownGroupsAsync(string tenantId, PolicyDocument document, CancellationToken cancellationToken)
    {
        var tenant = await store.GetTenantAsync(tenantId, cancellationToken);
        var groups = tenant is null ? TenantSettings.Empty.SenderGroups : PolicyStore.Settings(tenant).SenderGroups;
        return ReferencedGroups(document)
            .Where(r => !groups.ContainsKey(r.Group))
            .Select(r => new Violation(r.Path, r.Path.EndsWith("senders.groups", StringComparison.Ordinal) ? PolicyViolation.InvalidRule : PolicyViolation.InvalidCondition,
                $"Sender group '{r.Group}' is not defined in the tenant settings (PATCH /v1/tenant)."))
            .ToList();
    }

    /// <summary>Every sender group the policy names, with the rule and field that names it.</summary>
    public static IReadOnlyList<(string Group, string RuleId, string Path)> ReferencedGroups(PolicyDocument document)
    {
        var found = new List<(string, string, string)>();
        var rules = document.Rules ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var ruleId = rules[i].Id ?? "";
            foreach (var g in rules[i].Senders?.Groups ?? [])
            {
                found.Add((g, ruleId, $"rules[{i}].senders.groups"));
            }

            Walk(rules[i].Conditions, $"rules[{i}].conditions", ruleId);
        }

        return found;

        void Walk(ConditionSpec? c, string path, string ruleId)
        {
            if (c is null)
            {
                return;
            }

            foreach (var g in c.Groups ?? [])
            {
                found.Add((g, ruleId, $"{path}.groups"));
            }

            for (var i = 0; i < (c.All?.Count ?? 0); i++)
            {
                Walk(c.All![i], $"{path}.all[{i}]", ruleId);
            }

            for (var i = 0; i < (c.Any?.Count ?? 0); i++)
            {
                Walk(c.Any![i], $"{path}.any[{i}]", ruleId);
            }
        }
    }

    private static PolicyDocument WithStamp(PolicyVersionRow row) =>
        PolicyStore.Deserialize(row.Document) with { Version = row.Version, UpdatedAt = Clock.FromMs(row.CreatedAt), UpdatedBy = row.CreatedBy };

    /// <summary>Exposed for tenant creation: the document every new tenant starts with.</summary>
    public PolicyDocument Initial => initial.Document;
}

/// <summary>
/// The policy new tenants start with (<see cref="PolicyOptions.InitialPolicy"/>), loaded and
/// validated once at start so that a broken file fails the boot, not the first tenant.
/// </summary>
public sealed class InitialPolicy
{
    public InitialPolicy(IOptions<PolicyOptions> options)
    {
        var source = options.Value.InitialPolicy;
        string json;
        if (source.Equals("recommended", StringComparison.OrdinalIgnoreCase))
        {
            json = Recommended();
        }
        else if (source.Equals("empty", StringComparison.OrdinalIgnoreCase))
        {
            json = """{ "rules": [] }""";
        }
        else
        {
            json = File.ReadAllText(source);
        }

        Document = FromJson(json, $"SendGate:Policy:InitialPolicy '{source}'");
    }

    public PolicyDocument Document { get; }

    /// <summary>A built-in starting policy by name (<c>recommended</c>, <c>empty</c>); null for another name.</summary>
    public static PolicyDocument? Named(string name) =>
        name.Equals("recommended", StringComparison.OrdinalIgnoreCase) ? FromJson(Recommended(), "the recommended policy")
        : name.Equals("empty", StringComparison.OrdinalIgnoreCase) ? FromJson("""{ "rules": [] }""", "the empty policy")
        : null;

    /// <summary>A policy file as a tenant's version 1: compiled to check it, its rules given ids.</summary>
    private static PolicyDocument FromJson(string json, string what)
    {
        var document = PolicyStore.Deserialize(json);
        var (compiled, violations) = PolicyCompiler.Compile(document, 1);
        if (compiled is null)
        {
            throw new InvalidOperationException($"{what} is not a valid policy: {string.Join("; ", violations.Select(v => $"{v.Field}: {v.Message}"))}");
        }

        return document with
        {
            Version = null,
            UpdatedAt = null,
            UpdatedBy = null,
            Rules = document.Rules!.Select(r => r with { Id = r.Id ?? PolicyCompiler.NewRuleId(), Version = 1 }).ToList(),
        };
    }

    public static string Recommended()
    {
        using var stream = typeof(InitialPolicy).Assembly.GetManifestResourceStream("recommended-policy.json")
            ?? throw new InvalidOperationException("The recommended policy is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
