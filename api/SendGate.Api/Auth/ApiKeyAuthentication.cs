using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SendGate.Api.Infrastructure;
using SendGate.Core.Messages;
using SendGate.Core.Tenants;

namespace SendGate.Api.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;api key&gt;</c> against the stored key hashes.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TenantStore tenants,
    AuthFailureLimiter failures)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "sendgate:tenant";
    public const string KeyClaim = "sendgate:key";
    public const string ApproverClaim = "sendgate:approver";

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

        var key = await tenants.FindActiveKeyAsync(header[7..].Trim(), Context.RequestAborted);
        if (key is null)
        {
            failures.Failed(address);
            return AuthenticateResult.Fail("The API key is unknown or revoked.");
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

    public static IServiceCollection AddSendGateAuth(this IServiceCollection services)
    {
        services.AddSingleton<AuthFailureLimiter>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Send, p => p.RequireRole(Roles.Sender, Roles.Admin))
            .AddPolicy(Review, p => p.RequireRole(Roles.Sender, Roles.Reviewer, Roles.Admin))
            .AddPolicy(Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Approve, p => p.RequireRole(Roles.Approver, Roles.Admin));
        return services;
    }

    public static Actor Actor(this ClaimsPrincipal user) =>
        new(user.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim)
                ?? throw new InvalidOperationException("The request is not authenticated."),
            $"api-key:{user.FindFirstValue(ApiKeyAuthenticationHandler.KeyClaim)}");

    public static string TenantId(this ClaimsPrincipal user) => user.Actor().TenantId;

    public static string? KeyId(this ClaimsPrincipal user) => user.FindFirstValue(ApiKeyAuthenticationHandler.KeyClaim);

    public static string? ApproverAddress(this ClaimsPrincipal user) => user.FindFirstValue(ApiKeyAuthenticationHandler.ApproverClaim);

}
