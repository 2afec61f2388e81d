using System.Globalization;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using SendGate.Api.Audit;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core.Dkim;
using SendGate.Core.Mime;
using SendGate.Core.Policies;

namespace SendGate.Api.Dkim;

/// <summary>The TXT record to publish: <c>name</c> and <c>value</c> as a DNS console asks for them, and the line for a zone file.</summary>
public sealed record DkimDnsRecord(string Name, string Type, string Value, string ZoneFileLine);

public sealed record DkimKeyDto(string Id, string Domain, string Selector, string Algorithm, int KeySize, string Status, DkimDnsRecord DnsRecord,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? ActivatedAt, DateTimeOffset? RetiredAt);

public sealed record DkimKeyList(IReadOnlyList<DkimKeyDto> Items);

public sealed record DkimKeyRequest(string? Domain, string? Selector, int? KeySize);

/// <summary>
/// <c>/v1/dkim/keys</c>: the tenant's DKIM keys per sending domain. A key is created pending (its
/// public key shown as the TXT record to publish, the private key never), activated once the record
/// is published — which retires the domain's previous key, so rotation is: create, publish,
/// activate, and delete the old key once its record is gone — and signs from then on.
/// </summary>
internal static partial class DkimApi
{
    public static RouteGroupBuilder MapDkimApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/dkim/keys").WithTags("DKIM").RequireAuthorization(Access.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        group.MapGet("", List).WithName("ListDkimKeys").WithSummary("The tenant's DKIM keys and the DNS records to publish");
        group.MapPost("", Create).WithName("CreateDkimKey").WithSummary("Create a DKIM key for a sending domain (pending until activated)")
            .Accepts<DkimKeyRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/{id}", Get).WithName("GetDkimKey").WithSummary("One DKIM key").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/activate", Activate).WithName("ActivateDkimKey")
            .WithSummary("Sign the domain's mail with this key from now on (its previous key is retired)").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/retire", Retire).WithName("RetireDkimKey")
            .WithSummary("Stop signing with this key (the domain's mail leaves unsigned until another is activated)").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{id}", Delete).WithName("DeleteDkimKey").WithSummary("Delete a pending or retired DKIM key")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    private static async Task<Ok<DkimKeyList>> List(ClaimsPrincipal user, DkimKeys keys, CancellationToken cancellationToken) =>
        TypedResults.Ok(new DkimKeyList((await keys.ListAsync(user.TenantId(), cancellationToken)).Select(ToDto).ToList()));

    private static async Task<Results<Ok<DkimKeyDto>, ProblemHttpResult>> Get(string id, ClaimsPrincipal user, DkimKeys keys, CancellationToken cancellationToken) =>
        id.Length <= 100 && await keys.GetAsync(user.TenantId(), id, cancellationToken) is { } key ? TypedResults.Ok(ToDto(key)) : NotFound(id);

    private static async Task<Results<Created<DkimKeyDto>, ProblemHttpResult>> Create(HttpContext context, ClaimsPrincipal user, DkimKeys keys,
        PolicyService policies, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<DkimKeyRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var violations = new List<Violation>();
        var domain = AsciiDomain(body!.Domain);
        if (domain is null)
        {
            violations.Add(new("domain", ViolationCode.InvalidField, "domain is the sending domain, the one in From addresses, e.g. example.co.jp."));
        }
        else
        {
            var internalDomains = (await policies.GetSnapshotAsync(user.TenantId(), cancellationToken)).Settings.InternalDomains;
            var unicode = new IdnMapping().GetUnicode(domain);
            if (!DomainMatch.Covers(internalDomains, domain) && !DomainMatch.Covers(internalDomains, unicode))
            {
                violations.Add(new("domain", ViolationCode.InvalidField,
                    $"{domain} is not one of the tenant's internal domains (PATCH /v1/tenant): SendGate signs only for the tenant's own domains."));
            }
        }

        var selector = body.Selector?.Trim().ToLowerInvariant();
        if (selector is not null && !SelectorPattern().IsMatch(selector))
        {
            violations.Add(new("selector", ViolationCode.InvalidField, "A selector is one DNS label: letters, digits and '-', up to 63 characters, e.g. sg2026."));
        }

        var size = body.KeySize ?? DkimKeys.KeySizes[0];
        if (!DkimKeys.KeySizes.Contains(size))
        {
            violations.Add(new("keySize", ViolationCode.InvalidField, $"keySize is one of {string.Join(", ", DkimKeys.KeySizes)} (RSA bits)."));
        }

        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        switch (await keys.CreateAsync(user.TenantId(), domain!, selector, size, user.Actor().Name, cancellationToken))
        {
            case DkimCreateOutcome.Created(var key):
                AuditRecorder.Detail(context, $"key={key.Id} domain={key.Domain} selector={key.Selector}");
                return TypedResults.Created($"/v1/dkim/keys/{key.Id}", ToDto(key));
            case DkimCreateOutcome.SelectorTaken(var taken):
                return Problems.Of(StatusCodes.Status409Conflict, Problems.DkimSelectorTaken, "Selector in use",
                    $"{domain} already has a key with selector {taken}; a rotation needs a new selector, or leave selector out for a dated one.");
            default:
                return Problems.Of(StatusCodes.Status409Conflict, Problems.DkimKeyLimit, "Too many DKIM keys",
                    $"A tenant has at most {DkimKeys.MaxKeysPerTenant} DKIM keys; delete retired ones first.");
        }
    }

    private static async Task<Results<Ok<DkimKeyDto>, ProblemHttpResult>> Activate(string id, HttpContext context, ClaimsPrincipal user, DkimKeys keys,
        CancellationToken cancellationToken)
    {
        if (id.Length > 100 || await keys.ActivateAsync(user.TenantId(), id, cancellationToken) is not { } key)
        {
            return NotFound(id);
        }

        AuditRecorder.Detail(context, $"domain={key.Domain} selector={key.Selector}");
        return TypedResults.Ok(ToDto(key));
    }

    private static async Task<Results<Ok<DkimKeyDto>, ProblemHttpResult>> Retire(string id, HttpContext context, ClaimsPrincipal user, DkimKeys keys,
        CancellationToken cancellationToken)
    {
        if (id.Length > 100 || await keys.RetireAsync(user.TenantId(), id, cancellationToken) is not { } key)
        {
            return NotFound(id);
        }

        AuditRecorder.Detail(context, $"domain={key.Domain} selector={key.Selector}");
        return TypedResults.Ok(ToDto(key));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, ClaimsPrincipal user, DkimKeys keys, CancellationToken cancellationToken) =>
        id.Length > 100 ? NotFound(id) : await keys.DeleteAsync(user.TenantId(), id, cancellationToken) switch
        {
            DkimDeleteOutcome.Deleted => TypedResults.NoContent(),
            DkimDeleteOutcome.Active => Problems.Of(StatusCodes.Status409Conflict, Problems.DkimKeyActive, "Key in use",
                $"{id} signs its domain's mail: activate its successor or retire it first."),
            _ => NotFound(id),
        };

    private static ProblemHttpResult NotFound(string id) =>
        Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"There is no DKIM key {id}.");

    /// <summary>The domain as DKIM's d= writes it: lower-case A-labels (a Japanese domain in punycode), or null when it is not a domain.</summary>
    private static string? AsciiDomain(string? given)
    {
        var text = given?.Trim().TrimEnd('.');
        if (text is not { Length: > 0 and <= 253 } || !text.Contains('.', StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var ascii = new IdnMapping().GetAscii(text).ToLowerInvariant();
            return DomainPattern().IsMatch(ascii) ? ascii : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    [GeneratedRegex("^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex DomainPattern();

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex SelectorPattern();

    private static DkimKeyDto ToDto(DkimKeyRow row) => new(row.Id, row.Domain, row.Selector, "rsa-sha256", row.KeyBits, row.Status,
        new DkimDnsRecord(row.DnsName, "TXT", row.DnsValue, ZoneFileLine(row)),
        SendGate.Core.Clock.FromMs(row.CreatedAt), row.CreatedBy,
        row.ActivatedAt is { } activated ? SendGate.Core.Clock.FromMs(activated) : null,
        row.RetiredAt is { } retired ? SendGate.Core.Clock.FromMs(retired) : null);

    /// <summary>A TXT string holds at most 255 bytes (RFC 1035): the value is split into quoted strings, which resolvers join.</summary>
    private static string ZoneFileLine(DkimKeyRow row)
    {
        var value = row.DnsValue;
        var parts = new List<string>();
        for (var i = 0; i < value.Length; i += 255)
        {
            parts.Add($"\"{value.Substring(i, Math.Min(255, value.Length - i))}\"");
        }

        return $"{row.DnsName}. IN TXT ( {string.Join(" ", parts)} )";
    }
}
