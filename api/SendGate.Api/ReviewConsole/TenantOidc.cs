using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using SendGate.Core.Audit;
using SendGate.Core.Mime;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole;

/// <summary>
/// One OpenID Connect scheme per tenant that has a provider, added when a person of that tenant
/// first signs in (or a provider answers after a restart) and replaced when an admin changes the
/// settings: several tenants on one host, each with its own Entra ID, Google or other provider.
/// </summary>
internal sealed class TenantOidc(IAuthenticationSchemeProvider schemes, IOptionsMonitorCache<OpenIdConnectOptions> cache, ConsoleSignIn signIn)
{
    private const string Prefix = "oidc-";
    private readonly ConcurrentDictionary<string, OidcSettings> _settings = new(StringComparer.Ordinal);

    public static string SchemeOf(string tenantId) => Prefix + tenantId;

    public static string CallbackPathOf(string tenantId) => $"/console/oidc/{tenantId}/callback";

    /// <summary>The tenant whose provider answers at <paramref name="path"/>, if it is a callback path.</summary>
    public static string? TenantOfCallback(PathString path)
    {
        if (!path.StartsWithSegments("/console/oidc", StringComparison.Ordinal, out var rest) || !rest.HasValue)
        {
            return null;
        }

        var parts = rest.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2 && parts[1] == "callback" && parts[0].Length is > 0 and <= 64 && parts[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            ? parts[0]
            : null;
    }

    public static bool IsLoopback(Uri authority) =>
        authority.IsLoopback || (IPAddress.TryParse(authority.Host, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Makes the tenant's scheme match its saved settings; false when it has no provider.</summary>
    public async Task<bool> EnsureAsync(string tenantId, CancellationToken cancellationToken)
    {
        var name = SchemeOf(tenantId);
        var saved = (await signIn.GetAsync(tenantId, cancellationToken)).Oidc;
        if (saved is null)
        {
            if (_settings.TryRemove(tenantId, out _))
            {
                schemes.RemoveScheme(name);
                cache.TryRemove(name);
            }

            return false;
        }

        if (!_settings.TryGetValue(tenantId, out var known) || known != saved)
        {
            _settings[tenantId] = saved;
            // Options are built once per name and kept: a change must rebuild them (and re-read the provider's metadata).
            cache.TryRemove(name);
        }

        if (await schemes.GetSchemeAsync(name) is null)
        {
            schemes.TryAddScheme(new AuthenticationScheme(name, "OpenID Connect", typeof(OpenIdConnectHandler)));
        }

        return true;
    }

    internal OidcSettings? SettingsOf(string scheme) =>
        scheme.StartsWith(Prefix, StringComparison.Ordinal) && _settings.TryGetValue(scheme[Prefix.Length..], out var s) ? s : null;
}

/// <summary>Builds a tenant scheme's options from the settings <see cref="TenantOidc"/> loaded for it.</summary>
internal sealed class TenantOidcOptions(TenantOidc oidc) : IConfigureNamedOptions<OpenIdConnectOptions>
{
    public void Configure(OpenIdConnectOptions options) { }

    public void Configure(string? name, OpenIdConnectOptions options)
    {
        if (name is null || oidc.SettingsOf(name) is not { } settings)
        {
            return;
        }

        var tenantId = name["oidc-".Length..];
        options.Authority = settings.Authority;
        // Plain http only to a provider on this machine (tests, a local gateway); anything else must be https.
        options.RequireHttpsMetadata = !TenantOidc.IsLoopback(new Uri(settings.Authority));
        options.ClientId = settings.ClientId;
        options.ClientSecret = settings.ClientSecret;
        options.ResponseType = "code";
        options.UsePkce = true;
        options.Scope.Clear();
        options.Scope.Add("openid");
        options.Scope.Add("email");
        options.Scope.Add("profile");
        // Many providers put the address only in the userinfo answer, not in the id_token; the handler
        // keeps only the userinfo values it has a claim action for, so the tenant's address claim gets one
        // (it adds nothing when the id_token had the claim already).
        options.GetClaimsFromUserInfoEndpoint = true;
        options.ClaimActions.MapUniqueJsonKey(settings.AddressClaim, settings.AddressClaim);
        options.MapInboundClaims = false;
        options.SaveTokens = false;
        options.CallbackPath = TenantOidc.CallbackPathOf(tenantId);
        options.SignedOutCallbackPath = $"/console/oidc/{tenantId}/signed-out";
        options.RemoteSignOutPath = $"/console/oidc/{tenantId}/signout";
        options.SignInScheme = ConsoleSetup.Scheme;
        options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.Always;
        options.NonceCookie.SecurePolicy = CookieSecurePolicy.Always;
        options.Events = new OpenIdConnectEvents
        {
            OnRedirectToIdentityProvider = context =>
            {
                if (context.Properties.Items.TryGetValue("login_hint", out var hint) && hint is not null)
                {
                    context.ProtocolMessage.LoginHint = hint;
                }

                return Task.CompletedTask;
            },
            OnTicketReceived = async context =>
            {
                // The person is who the tenant's provider says, by the claim the tenant named.
                var address = context.Principal?.FindFirst(settings.AddressClaim)?.Value?.Trim();
                if (address is null || !MailAddresses.IsBare(address))
                {
                    context.Response.Redirect("/console/signin?error=no-address");
                    context.HandleResponse();
                    return;
                }

                context.Principal = ConsoleSetup.Person(tenantId, address, "oidc", null);
                var http = context.HttpContext;
                await http.RequestServices.GetRequiredService<AuditTrail>().RecordAsync(new AuditEntry(tenantId, $"console:{ConsolePeople.Normalize(address)}",
                    "console sign-in (oidc)", null, null, http.Connection.RemoteIpAddress?.ToString(), 200), http.RequestAborted);
            },
            OnRemoteFailure = context =>
            {
                context.Response.Redirect("/console/signin?error=provider");
                context.HandleResponse();
                return Task.CompletedTask;
            },
        };
    }
}
