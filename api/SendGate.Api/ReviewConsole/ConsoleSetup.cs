using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole;

/// <summary>
/// The review console (管理画面) under <c>/console</c>: server-rendered Razor Pages for people,
/// signed in by cookie (after the tenant's OpenID Connect provider or a link by mail), beside the
/// API that apps reach with keys. Every page works without script; mail shown on a page is never
/// cached and never loads anything from outside.
/// </summary>
internal static class ConsoleSetup
{
    public const string Scheme = "Console";
    public const string Policy = "console";

    public const string TenantClaim = "sendgate:console:tenant";
    public const string AddressClaim = "sendgate:console:address";
    public const string ViaClaim = "sendgate:console:via";
    public const string MessageClaim = "sendgate:console:message";

    public static IServiceCollection AddSendGateConsole(this IServiceCollection services)
    {
        services.AddLocalization();
        // Japanese as text, not as numeric entities: pages stay readable in their source and a third of the size.
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
            o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.AddRazorPages(o =>
            {
                o.RootDirectory = "/ReviewConsole/Pages";
                o.Conventions.AuthorizeFolder("/", Policy);
                o.Conventions.AllowAnonymousToPage("/SignIn");
                o.Conventions.AllowAnonymousToPage("/Link");
                o.Conventions.AllowAnonymousToPage("/Language");
            })
            .AddMvcOptions(o =>
            {
                o.Filters.Add<ConsolePageFilter>();
                o.Filters.Add<AntiforgeryFailurePage>();
                o.Filters.Add<ConsoleCultureFilter>();
            });
        services.AddScoped<ConsolePageFilter>();
        services.AddScoped<AntiforgeryFailurePage>();
        services.AddScoped<ConsoleCultureFilter>();
        services.Configure<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>(o =>
        {
            o.Cookie.Name = "sendgate-notice";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.SameSite = SameSiteMode.Lax;
        });
        services.AddSingleton<ConsoleSignInLimiter>();
        // Sessions and forms outlive a restart and work on every API host sharing the folder.
        services.AddConsoleKeyRing();
        services.AddAntiforgery(o =>
        {
            // Secure whenever the console is served over https; the antiforgery system refuses to run at
            // all on plain http with Always, and plain http is what a local quick start has.
            o.Cookie.Name = "sendgate-af";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__sendgate_af";
        });

        services.AddAuthentication().AddCookie(Scheme, o =>
        {
            o.Cookie.Name = "__Host-sendgate-console";
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            // Lax: a link in a mail opens the console signed in; a cross-site form cannot post as the person.
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.SlidingExpiration = true;
            o.LoginPath = "/console/signin";
            o.AccessDeniedPath = "/console/signin";
            o.ReturnUrlParameter = "returnUrl";
        });
        services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<IOptions<ConsoleOptions>>((o, console) => o.ExpireTimeSpan = console.Value.SessionLifetime);
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireClaim(TenantClaim).RequireClaim(AddressClaim));

        // Each tenant's provider is a scheme of its own, added when first needed (see TenantOidc).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        services.AddSingleton<TenantOidc>();
        services.AddSingleton<ConsoleApprovals>();
        services.AddSingleton<IConfigureOptions<OpenIdConnectOptions>, TenantOidcOptions>();
        return services;
    }

    /// <summary>Before authentication: a provider's answer reaches the scheme of its tenant even after a restart.</summary>
    public static IApplicationBuilder UseSendGateConsole(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (TenantOidc.TenantOfCallback(context.Request.Path) is { } tenantId)
            {
                await context.RequestServices.GetRequiredService<TenantOidc>().EnsureAsync(tenantId, context.RequestAborted);
            }

            await next(context);
        });

    public static IEndpointRouteBuilder MapSendGateConsole(this IEndpointRouteBuilder routes)
    {
        routes.MapRazorPages();
        routes.MapGet("/console/assets/{name}", ConsoleAssets.Serve).ExcludeFromDescription().AllowAnonymous();
        return routes;
    }

    /// <summary>The principal of a person signed in to the console.</summary>
    public static ClaimsPrincipal Person(string tenantId, string address, string via, string? onlyMessage)
    {
        var claims = new List<Claim>
        {
            new(TenantClaim, tenantId),
            new(AddressClaim, ConsolePeople.Normalize(address)),
            new(ClaimTypes.Name, ConsolePeople.Normalize(address)),
            new(ViaClaim, via),
        };
        if (onlyMessage is not null)
        {
            claims.Add(new Claim(MessageClaim, onlyMessage));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
    }
}
