using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core.Mime;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole;

/// <summary>A person with a console role.</summary>
public sealed record ConsolePersonDto(string Address, string Role, DateTimeOffset UpdatedAt, string UpdatedBy);

public sealed record ConsolePersonList(IReadOnlyList<ConsolePersonDto> Items);

/// <summary>PUT body: the role to give (<c>reviewer</c> or <c>admin</c>).</summary>
public sealed record ConsoleRoleRequest(string? Role);

/// <summary>The tenant's OpenID Connect provider; the client secret is never returned.</summary>
public sealed record ConsoleOidcDto(string Authority, string ClientId, string AddressClaim, string CallbackPath);

public sealed record ConsoleSignInDto(bool MailLinks, ConsoleOidcDto? Oidc);

/// <summary>
/// PUT body. <c>oidc</c> null removes the provider; a <c>clientSecret</c> left out keeps the saved
/// one (it is never read back).
/// </summary>
public sealed record ConsoleSignInRequest(bool? MailLinks, ConsoleOidcRequest? Oidc);

public sealed record ConsoleOidcRequest(string? Authority, string? ClientId, string? ClientSecret, string? AddressClaim);

/// <summary>
/// <c>/v1/console</c>: what admins set up for the review console by API — who has a role there, and
/// how the tenant's people sign in (their own OpenID Connect provider, links by mail).
/// </summary>
internal static class ConsoleApi
{
    public static RouteGroupBuilder MapConsoleApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/console").WithTags("Console").RequireAuthorization(Access.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        group.MapGet("/people", ListPeople).WithName("ListConsolePeople").WithSummary("People with a console role (reviewer or admin)");
        group.MapPut("/people/{address}", PutPerson).WithName("SetConsoleRole").WithSummary("Give a person (by mail address) a console role")
            .Accepts<ConsoleRoleRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/people/{address}", DeletePerson).WithName("RemoveConsoleRole").WithSummary("Take a person's console role away")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/sign-in", GetSignIn).WithName("GetConsoleSignIn").WithSummary("How the tenant's people sign in to the console");
        group.MapPut("/sign-in", PutSignIn).WithName("SetConsoleSignIn").WithSummary("Set the tenant's OpenID Connect provider and whether links by mail sign in")
            .Accepts<ConsoleSignInRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }

    private static async Task<Ok<ConsolePersonList>> ListPeople(ClaimsPrincipal user, ConsolePeople people, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ConsolePersonList((await people.ListAsync(user.TenantId(), cancellationToken)).Select(ToDto).ToList()));

    private static async Task<Results<Ok<ConsolePersonDto>, ProblemHttpResult>> PutPerson(string address, HttpContext context, ClaimsPrincipal user,
        ConsolePeople people, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<ConsoleRoleRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!MailAddresses.IsBare(address))
        {
            return Problems.Invalid("address", ViolationCode.InvalidField, "address is a mail address such as taro@example.co.jp.");
        }

        if (body!.Role is not { } role || !ConsoleRoles.All.Contains(role))
        {
            return Problems.Invalid("role", ViolationCode.InvalidField, $"role is one of {string.Join(", ", ConsoleRoles.All)}.");
        }

        await people.SetRoleAsync(user.TenantId(), address, role, user.Actor().Name, cancellationToken);
        return TypedResults.Ok(ToDto((await people.GetAsync(user.TenantId(), address, cancellationToken))!));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeletePerson(string address, ClaimsPrincipal user, ConsolePeople people, CancellationToken cancellationToken)
    {
        if (!MailAddresses.IsBare(address))
        {
            return Problems.Invalid("address", ViolationCode.InvalidField, "address is a mail address such as taro@example.co.jp.");
        }

        if (await people.GetAsync(user.TenantId(), address, cancellationToken) is not { Role: not null })
        {
            return Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"{address} has no console role.");
        }

        await people.SetRoleAsync(user.TenantId(), address, null, user.Actor().Name, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<ConsoleSignInDto>> GetSignIn(ClaimsPrincipal user, ConsoleSignIn signIn, CancellationToken cancellationToken) =>
        TypedResults.Ok(ToDto(user.TenantId(), await signIn.GetAsync(user.TenantId(), cancellationToken)));

    private static async Task<Results<Ok<ConsoleSignInDto>, ProblemHttpResult>> PutSignIn(HttpContext context, ClaimsPrincipal user, ConsoleSignIn signIn,
        TenantOidc oidc, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<ConsoleSignInRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var tenantId = user.TenantId();
        var current = await signIn.GetAsync(tenantId, cancellationToken);
        var violations = new List<Violation>();
        OidcSettings? provider = null;
        if (body!.Oidc is { } o)
        {
            var authority = o.Authority?.Trim().TrimEnd('/');
            if (authority is null || authority.Length > 2000 || !Uri.TryCreate(authority, UriKind.Absolute, out var uri)
                || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && TenantOidc.IsLoopback(uri))) || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                violations.Add(new("oidc.authority", ViolationCode.InvalidField, "authority is the provider's https URL (its issuer), e.g. https://login.microsoftonline.com/<tenant id>/v2.0."));
            }

            var clientId = o.ClientId?.Trim();
            if (clientId is not { Length: > 0 and <= 400 } || clientId.Any(char.IsControl))
            {
                violations.Add(new("oidc.clientId", ViolationCode.InvalidField, "clientId is 1 to 400 characters."));
            }

            var secret = o.ClientSecret ?? (current.Oidc is { } saved && saved.Authority == authority && saved.ClientId == clientId ? saved.ClientSecret : null);
            if (secret is not { Length: > 0 and <= 1000 })
            {
                violations.Add(new("oidc.clientSecret", ViolationCode.InvalidField, "clientSecret is 1 to 1000 characters; it may be left out only when authority and clientId stay as saved."));
            }

            var claim = o.AddressClaim?.Trim() ?? OidcSettings.DefaultAddressClaim;
            if (claim.Length is 0 or > 100 || !claim.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/'))
            {
                violations.Add(new("oidc.addressClaim", ViolationCode.InvalidField, "addressClaim names a claim, e.g. email, preferred_username or upn."));
            }

            if (violations.Count == 0)
            {
                provider = new OidcSettings(authority!, clientId!, secret!, claim);
            }
        }

        var mailLinks = body.MailLinks ?? current.MailLinks;
        if (violations.Count == 0 && !mailLinks && provider is null)
        {
            violations.Add(new("mailLinks", ViolationCode.InvalidField, "With no provider, links by mail are the only way to sign in: mailLinks cannot be false."));
        }

        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        var settings = new ConsoleSignInSettings(mailLinks, provider);
        await signIn.SaveAsync(tenantId, settings, cancellationToken);
        await oidc.EnsureAsync(tenantId, cancellationToken);
        return TypedResults.Ok(ToDto(tenantId, settings));
    }

    private static ConsolePersonDto ToDto(ConsolePersonRow row) => new(row.Address, row.Role ?? "", SendGate.Core.Clock.FromMs(row.UpdatedAt), row.UpdatedBy);

    private static ConsoleSignInDto ToDto(string tenantId, ConsoleSignInSettings settings) => new(settings.MailLinks,
        settings.Oidc is { } o ? new ConsoleOidcDto(o.Authority, o.ClientId, o.AddressClaim, TenantOidc.CallbackPathOf(tenantId)) : null);
}
