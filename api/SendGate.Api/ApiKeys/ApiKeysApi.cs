using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SendGate.Api.Auth;
using SendGate.Api.Infrastructure;
using SendGate.Core;
using SendGate.Core.Mime;
using SendGate.Core.Tenants;

namespace SendGate.Api.ApiKeys;

/// <param name="ApproverAddress">Required with the approver role: the person (e-mail address) the key decides as.</param>
public sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Roles, string? ApproverAddress = null);

public sealed record ApiKeyDto(string Id, string Name, IReadOnlyList<string> Roles, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, string? ApproverAddress);

/// <summary>The only answer that carries the secret; it is not stored and cannot be shown again.</summary>
public sealed record CreatedApiKey(string Id, string Name, IReadOnlyList<string> Roles, string Prefix, DateTimeOffset CreatedAt, string? ApproverAddress, string Key);

public sealed record ApiKeyList(IReadOnlyList<ApiKeyDto> Items);

/// <summary><c>/v1/api-keys</c>: an admin creates, lists and revokes the tenant's keys.</summary>
internal static class ApiKeysApi
{
    public static RouteGroupBuilder MapApiKeys(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/api-keys").WithTags("API keys").RequireAuthorization(Access.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status500InternalServerError);
        group.MapPost("/", Create).WithName("CreateApiKey").WithSummary("Create an API key (the secret is shown once)")
            .Accepts<CreateApiKeyRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/", List).WithName("ListApiKeys").WithSummary("List the tenant's API keys (never their secrets)");
        group.MapGet("/{id}", Get).WithName("GetApiKey").WithSummary("Get one API key")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{id}", Revoke).WithName("RevokeApiKey").WithSummary("Revoke an API key")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    private static async Task<Results<Created<CreatedApiKey>, ProblemHttpResult>> Create(HttpContext context, ClaimsPrincipal user, TenantStore tenants,
        SendGate.Core.Tenants.TenantAccess access, TimeProvider time, CancellationToken cancellationToken)
    {
        // Strict like every body here: a misspelt "aproverAddress" is named, not ignored.
        var (body, problem) = await JsonBody.ReadAsync<CreateApiKeyRequest>(context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var request = body!;
        var violations = new List<Violation>();
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200 || name.Any(char.IsControl))
        {
            violations.Add(new("name", ViolationCode.InvalidField, "name is required: 1 to 200 characters without control characters."));
        }

        var roles = request.Roles ?? [];
        if (roles.Count == 0)
        {
            violations.Add(new("roles", ViolationCode.InvalidField, $"At least one role is required: {string.Join(", ", Roles.All)}."));
        }

        for (var i = 0; i < roles.Count; i++)
        {
            if (!Roles.IsKnown(roles[i]))
            {
                violations.Add(new($"roles[{i}]", ViolationCode.InvalidField, $"'{roles[i]}' is not a role; use {string.Join(", ", Roles.All)}."));
            }
        }

        var approver = request.ApproverAddress?.Trim();
        if (roles.Contains(Roles.Approver) && string.IsNullOrEmpty(approver))
        {
            violations.Add(new("approverAddress", ViolationCode.InvalidField, "A key with the approver role needs approverAddress: the person it decides as."));
        }
        else if (approver is not null && !IsAddress(approver))
        {
            violations.Add(new("approverAddress", ViolationCode.InvalidField, $"'{approver}' is not an e-mail address."));
        }
        else if (approver is not null && !roles.Contains(Roles.Approver))
        {
            violations.Add(new("approverAddress", ViolationCode.InvalidField, "approverAddress is only for keys with the approver role."));
        }

        if (violations.Count > 0)
        {
            return Problems.Invalid(violations);
        }

        if (await access.CheckNewApiKeyAsync(user.TenantId(), cancellationToken) is { } refusal)
        {
            return Problems.Quota(context, refusal, time);
        }

        var (key, secret) = await tenants.CreateKeyAsync(user.TenantId(), name!, roles, approver, cancellationToken);
        return TypedResults.Created($"/v1/api-keys/{key.Id}",
            new CreatedApiKey(key.Id, key.Name, key.RoleList, key.Prefix, Clock.FromMs(key.CreatedAt), key.ApproverAddress, secret));
    }

    private static async Task<Ok<ApiKeyList>> List(ClaimsPrincipal user, TenantStore tenants, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ApiKeyList((await tenants.ListKeysAsync(user.TenantId(), cancellationToken)).Select(ToDto).ToList()));

    private static async Task<Results<Ok<ApiKeyDto>, ProblemHttpResult>> Get(string id, ClaimsPrincipal user, TenantStore tenants, CancellationToken cancellationToken) =>
        await tenants.GetKeyAsync(user.TenantId(), id, cancellationToken) is { } key ? TypedResults.Ok(ToDto(key)) : KeyNotFound(id);

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(string id, ClaimsPrincipal user, TenantStore tenants, CancellationToken cancellationToken) =>
        await tenants.RevokeKeyAsync(user.TenantId(), id, cancellationToken) switch
        {
            TenantStore.RevokeOutcome.Revoked => TypedResults.NoContent(),
            TenantStore.RevokeOutcome.AlreadyRevoked => Problems.Of(StatusCodes.Status409Conflict, Problems.AlreadyRevoked, "Already revoked",
                $"API key '{id}' is already revoked."),
            TenantStore.RevokeOutcome.LastAdmin => Problems.Of(StatusCodes.Status409Conflict, Problems.LastAdminKey, "Last admin key",
                $"API key '{id}' is the tenant's last active admin key; create another admin key before revoking it."),
            _ => KeyNotFound(id),
        };

    private static bool IsAddress(string value)
    {
        var at = value.LastIndexOf('@');
        return at > 0 && at < value.Length - 1 && !value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
    }

    private static ProblemHttpResult KeyNotFound(string id) =>
        Problems.Of(StatusCodes.Status404NotFound, Problems.NotFound, "Not found", $"No API key '{id}' exists for this tenant.");

    private static ApiKeyDto ToDto(ApiKeyRow key) =>
        new(key.Id, key.Name, key.RoleList, key.Prefix, Clock.FromMs(key.CreatedAt), Clock.FromMs(key.RevokedAt), key.ApproverAddress);
}
