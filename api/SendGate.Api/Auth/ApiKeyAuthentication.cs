using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SendGate.Api.Infrastructure;
using SendGate.Core.Messages;
using SendGate.Core.Tenants;

namespace SendGate.Api.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;api key&gt;</c> against the stored key hashes: a
/// tenant's key (refused with <c>tenant-suspended</c> while its tenant is suspended), or an
/// operator's (<see cref="OperatorKeys.Prefix"/>), which carries the operator role and no tenant.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TenantStore tenants,
    TenantAccess access,
    OperatorKeys operators,
    AuthFailureLimiter failures)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "sendgate:tenant";
    public const string KeyClaim = "sendgate:key";
    public const string ApproverClaim = "sendgate:approver";
    public const string OperatorClaim = "sendgate:operator";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        var address = ClientAddress.Of(Context);
        if (failures.Refusal(address) is { } refusal)
        {
            Context.Features.Set(new RateLimited(refusal));
            return AuthenticateResult.Fail("Too many failed authentications from this address.");
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            failures.Failed(address);
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <api key>'.");
        }

        var secret = header[7..].Trim();
        if (OperatorKeys.LooksLikeOne(secret))
        {
            var operatorKey = await operators.FindActiveAsync(secret, Context.RequestAborted);
            if (operatorKey is null)
            {
                failures.Failed(address);
                return AuthenticateResult.Fail("The operator key is unknown or revoked.");
            }

            var identity = new ClaimsIdentity(
                [new(OperatorClaim, operatorKey.Id), new(ClaimTypes.Name, operatorKey.Name), new(ClaimTypes.Role, Access.OperatorRole)], SchemeName);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
        }

        var key = await tenants.FindActiveKeyAsync(secret, Context.RequestAborted);
        if (key is null)
        {
            failures.Failed(address);
            return AuthenticateResult.Fail("The API key is unknown or revoked.");
        }

        if (await access.SuspendedAtAsync(key.TenantId, Context.RequestAborted) is { } suspended)
        {
            Context.Features.Set(new Suspended(suspended));
            return AuthenticateResult.Fail("The tenant is suspended.");
        }

        var claims = new List<Claim>
        {
            new(TenantClaim, key.TenantId),
            new(KeyClaim, key.Id),
            new(ClaimTypes.Name, key.Name),
        };
        if (key.ApproverAddress is { } approver)
        {
            claims.Add(new Claim(ApproverClaim, approver));
        }

        claims.AddRange(key.RoleList.Select(r => new Claim(ClaimTypes.Role, r)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        if (Context.Features.Get<RateLimited>() is { } limited)
        {
            using var lease = limited.Lease;
            await TooManyRequests.WriteAsync(Context, lease);
            return;
        }

        if (Context.Features.Get<Suspended>() is { } suspended)
        {
            Response.StatusCode = StatusCodes.Status403Forbidden;
            await WriteProblemAsync(StatusCodes.Status403Forbidden, Problems.TenantSuspended, "Tenant suspended",
                $"The tenant was suspended by the operator at {SendGate.Core.Rfc3339.Format(suspended.At)}; its mail is kept and waits until it is resumed.");
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await WriteProblemAsync(StatusCodes.Status401Unauthorized, Problems.Unauthorized, "Unauthorized",
            failure ?? "Send an API key as 'Authorization: Bearer <api key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblemAsync(StatusCodes.Status403Forbidden, Problems.Forbidden, "Forbidden",
            "This API key does not have a role that allows this call.");

    private Task WriteProblemAsync(int status, string code, string title, string detail)
    {
        Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Type = Problems.Type(code), Title = title, Detail = detail };
        return Context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem }).AsTask();
    }

    /// <summary>Set when the key is valid but its tenant suspended; the challenge answers 403 tenant-suspended.</summary>
    private sealed record Suspended(DateTimeOffset At);

    /// <summary>Set when the address was refused before the lookup; the challenge answers 429 instead of 401.</summary>
    private sealed record RateLimited(System.Threading.RateLimiting.RateLimitLease Lease);
}

/// <summary>Authorization policies by role; admin may do everything.</summary>
internal static class Access
{
    /// <summary>Submit mail.</summary>
    public const string Send = "send";

    /// <summary>Read messages, release and cancel them.</summary>
    public const string Review = "review";

    /// <summary>Manage API keys and tenant settings.</summary>
    public const string Admin = "admin";

    /// <summary>Decide approval requests (as the key's approver identity, or as an admin).</summary>
    public const string Approve = "approve";

    /// <summary>The operator API: tenants, their quotas and suspension (operator keys only; no tenant role reaches it).</summary>
    public const string Operator = "operator";

    /// <summary>The role an operator key carries; no tenant key can have it (<see cref="Roles.IsKnown"/> does not know it).</summary>
    public const string OperatorRole = "sendgate-operator";

    public static IServiceCollection AddSendGateAuth(this IServiceCollection services)
    {
        services.AddSingleton<AuthFailureLimiter>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Send, p => p.RequireRole(Roles.Sender, Roles.Admin))
            .AddPolicy(Review, p => p.RequireRole(Roles.Sender, Roles.Reviewer, Roles.Admin))
            .AddPolicy(Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Approve, p => p.RequireRole(Roles.Approver, Roles.Admin))
            .AddPolicy(Operator, p => p.RequireRole(OperatorRole));
        return services;
    }

    public static Actor Actor(this ClaimsPrincipal user) =>
        new(user.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim)
                ?? throw new InvalidOperationException("The request is not authenticated."),
            $"api-key:{user.FindFirstValue(ApiKeyAuthenticationHandler.KeyClaim)}");

    public static string TenantId(this ClaimsPrincipal user) => user.Actor().TenantId;

    public static string? KeyId(this ClaimsPrincipal user) => user.FindFirstValue(ApiKeyAuthenticationHandler.KeyClaim);

    public static string? ApproverAddress(this ClaimsPrincipal user) => user.FindFirstValue(ApiKeyAuthenticationHandler.ApproverClaim);

    /// <summary>The operator key's id, as the operator trail names who acted.</summary>
    public static string OperatorActor(this ClaimsPrincipal user) =>
        $"operator-key:{user.FindFirstValue(ApiKeyAuthenticationHandler.OperatorClaim) ?? throw new InvalidOperationException("Not an operator.")}";

}
