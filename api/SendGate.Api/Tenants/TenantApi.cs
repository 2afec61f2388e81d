using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core;
using SendGate.Core.Mime;
using SendGate.Core.Policies;

namespace SendGate.Api.Tenants;

public sealed record TenantDto(
    string Id,
    string Name,
    IReadOnlyList<string> InternalDomains,
    IReadOnlyDictionary<string, IReadOnlyList<string>> SenderGroups,
    string Language,
    string TimeZone,
    string ZipFileName,
    string? Retention,
    bool KeepMetadata,
    bool FailureNotices,
    DateTimeOffset CreatedAt,
    DateTimeOffset? UpdatedAt);

/// <summary>PATCH body: members left out stay as they are; a list given replaces the old one.</summary>
public sealed record TenantPatch
{
    public string? Name { get; init; }
    public IReadOnlyList<string>? InternalDomains { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? SenderGroups { get; init; }

    /// <summary><c>ja</c> or <c>en</c>: language of the password mail and the encryption notice.</summary>
    public string? Language { get; init; }

    /// <summary>IANA time zone, e.g. <c>Asia/Tokyo</c>.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Zip file name template with <c>{date}</c> (yyyyMMdd); an empty string restores the language's default.</summary>
    public string? ZipFileName { get; init; }

    /// <summary>How long mail content is kept (ISO 8601, at least P1D); an empty string keeps it for ever.</summary>
    public string? Retention { get; init; }

    /// <summary>Keep a message's record (metadata, events) when retention deletes its content.</summary>
    public bool? KeepMetadata { get; init; }

    /// <summary>Tell the sender when a mail cannot be delivered or some recipients refused it (as a bounce would).</summary>
    public bool? FailureNotices { get; init; }
}

/// <summary><c>/v1/tenant</c>: the calling key's tenant and the settings its rules refer to.</summary>
internal static class TenantApi
{
    public static RouteGroupBuilder MapTenant(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/tenant").WithTags("Tenant")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        group.MapGet("/", Get).WithName("GetTenant").WithSummary("The tenant: name, internal domains, sender groups")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Access.Review);
        group.MapPatch("/", Update).WithName("UpdateTenant").WithSummary("Change the name, internal domains or sender groups")
            .Accepts<TenantPatch>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(Access.Admin);
        group.MapGet("/usage", Usage).WithName("GetTenantUsage").WithSummary("What the tenant uses against its quotas, today and in all")
            .RequireAuthorization(Access.Admin);
        return group;
    }

    private static async Task<Ok<SendGate.Core.Tenants.TenantUsage>> Usage(ClaimsPrincipal user, SendGate.Core.Tenants.TenantAccess access, CancellationToken cancellationToken) =>
        TypedResults.Ok(await access.UsageAsync(user.TenantId(), cancellationToken));

    private static async Task<Results<Ok<TenantDto>, ProblemHttpResult>> Get(ClaimsPrincipal user, PolicyService policies, CancellationToken cancellationToken) =>
        await policies.GetTenantAsync(user.TenantId(), cancellationToken) is { } tenant ? TypedResults.Ok(ToDto(tenant.Tenant, tenant.Settings)) : NotFound();

    private static async Task<Results<Ok<TenantDto>, ProblemHttpResult>> Update(HttpContext context, ClaimsPrincipal user, PolicyService policies, CancellationToken cancellationToken)
    {
        var (patch, problem) = await JsonBody.ReadAsync<TenantPatch>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var tenantId = user.TenantId();
        if (await policies.GetTenantAsync(tenantId, cancellationToken) is not { } current)
        {
            return NotFound();
        }

        var violations = new List<Violation>();
        var name = patch!.Name?.Trim() ?? current.Tenant.Name;
        if (name.Length is 0 or > 200 || name.Any(char.IsControl))
        {
            violations.Add(new("name", ViolationCode.InvalidField, "name is 1 to 200 characters without control characters."));
        }

        var domains = patch.InternalDomains?.Select(d => d.Trim().TrimStart('@').TrimEnd('.').ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList()
            ?? current.Settings.InternalDomains.ToList();
        for (var i = 0; i < domains.Count; i++)
        {
            if (!PolicyCompiler.IsDomain(domains[i]))
            {
                violations.Add(new($"internalDomains[{i}]", ViolationCode.InvalidField, $"'{domains[i]}' is not a domain name."));
            }
        }

        var groups = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (group, members) in patch.SenderGroups ?? current.Settings.SenderGroups)
        {
            if (group.Length is 0 or > 100 || group.Any(char.IsControl))
            {
                violations.Add(new($"senderGroups.{group}", ViolationCode.InvalidField, "A group name is 1 to 100 characters."));
                continue;
            }

            var normalized = (members ?? []).Select(m => m.Trim().ToLowerInvariant()).ToList();
            for (var i = 0; i < normalized.Count; i++)
            {
                var member = normalized[i];
                var valid = member.StartsWith('@') ? PolicyCompiler.IsDomain(member[1..]) : member.LastIndexOf('@') is > 0 and var at && at < member.Length - 1 && !member.Any(char.IsWhiteSpace);
                if (!valid)
                {
                    violations.Add(new($"senderGroups.{group}[{i}]", ViolationCode.InvalidField, $"'{member}' is neither an address nor @domain."));
                }
            }

            groups[group] = normalized;
        }

        var language = patch.Language ?? current.Settings.Language;
        if (language is not ("ja" or "en"))
        {
            violations.Add(new("language", ViolationCode.InvalidField, "language is ja or en."));
        }

        var timeZone = patch.TimeZone?.Trim() ?? current.Settings.TimeZone;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _))
        {
            violations.Add(new("timeZone", ViolationCode.InvalidField, $"'{timeZone}' is not a time zone this host knows (use an IANA name such as Asia/Tokyo)."));
        }

        var zipFileName = patch.ZipFileName is null ? current.Settings.ZipFileName : patch.ZipFileName.Trim() is { Length: > 0 } z ? z : null;
        if (zipFileName is not null && (zipFileName.Length > 150 || !zipFileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)
            || zipFileName.Any(c => char.IsControl(c) || c is '/' or '\\' or '"')))
        {
            violations.Add(new("zipFileName", ViolationCode.InvalidField, "zipFileName is at most 150 characters, ends in .zip and has no path separators, quotes or control characters."));
        }

        var retention = patch.Retention is null ? current.Settings.Retention : patch.Retention.Trim() is { Length: > 0 } r ? r : null;
        if (retention is not null && PolicyCompiler.Duration(retention, "retention", violations, allowZero: false, max: TimeSpan.FromDays(36500)) is { } kept
            && kept < TimeSpan.FromDays(1))
        {
            violations.Add(new("retention", PolicyViolation.InvalidDuration, "retention is at least one day (P1D)."));
        }

        if (patch.SenderGroups is not null)
        {
            // A rule naming a group that no longer exists would silently stop matching.
            var (policy, _) = await policies.GetDocumentAsync(tenantId, null, cancellationToken);
            foreach (var (group, ruleId, _) in policy is null ? [] : PolicyService.ReferencedGroups(policy))
            {
                if (!groups.ContainsKey(group) && !violations.Any(v => v.Field == $"senderGroups.{group}"))
                {
                    violations.Add(new($"senderGroups.{group}", ViolationCode.InvalidField,
                        $"Sender group '{group}' is used by rule '{ruleId}'; change that rule before removing the group."));
                }
            }
        }

        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var settings = new TenantSettings
        {
            InternalDomains = domains, SenderGroups = groups, Language = language, TimeZone = timeZone, ZipFileName = zipFileName,
            Retention = retention, KeepMetadata = patch.KeepMetadata ?? current.Settings.KeepMetadata,
            FailureNotices = patch.FailureNotices ?? current.Settings.FailureNotices,
        };
        await policies.UpdateTenantAsync(tenantId, name, settings, cancellationToken);
        var updated = await policies.GetTenantAsync(tenantId, cancellationToken);
        return TypedResults.Ok(ToDto(updated!.Value.Tenant, updated.Value.Settings));
    }

    private static TenantDto ToDto(TenantRow row, TenantSettings settings) =>
        new(row.Id, row.Name, settings.InternalDomains, settings.SenderGroups, settings.Language, settings.TimeZone, settings.ZipFileNameTemplate,
            settings.Retention, settings.KeepMetadata, settings.FailureNotices, Clock.FromMs(row.CreatedAt), Clock.FromMs(row.UpdatedAt));

    private static ProblemHttpResult NotFound() =>
        Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", "The tenant of this API key no longer exists.");
}
