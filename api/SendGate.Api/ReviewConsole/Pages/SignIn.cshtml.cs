using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using SendGate.Core.Mime;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>
/// Sign-in: a person gives their work address. A tenant with its own provider sends them there
/// (with the address as a hint); otherwise a single-use link is mailed. The answer never tells
/// whether the address belongs to anyone.
/// </summary>
internal sealed class SignInModel(SignInLinkRequests requests, ConsoleSignIn signIn, TenantOidc oidc, ConsoleSignInLimiter limiter) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string? Address { get; set; }

    internal string? Error { get; private set; }

    /// <summary>Set once a link was asked for: the page says to look in the mailbox.</summary>
    internal bool LinkSent { get; private set; }

    /// <summary>The tenant's provider to continue to (one click, or by the page's script).</summary>
    internal string? ContinueTo { get; private set; }

    public IActionResult OnGet([FromQuery(Name = "error")] string? error, [FromQuery(Name = "tenant")] string? tenant, [FromQuery(Name = "hint")] string? hint)
    {
        if (MaybeViewer is not null && error is null)
        {
            return LocalRedirect(LocalConsoleUrl(ReturnUrl));
        }

        Error = error switch
        {
            "no-address" => Text["SignInNoAddress"].Value,
            "provider" => Text["SignInProviderFailed"].Value,
            _ => null,
        };
        if (tenant is not null && hint is not null)
        {
            ContinueTo = ContinueUrl(tenant, hint);
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var address = Address?.Trim() ?? "";
        if (!MailAddresses.IsBare(address))
        {
            Error = Text["SignInBadAddress"];
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }

        if (!limiter.TryAcquire(HttpContext))
        {
            Error = Text["SignInTooOften"];
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = "300";
            return Page();
        }

        var tenantId = await requests.TenantOfAsync(address, HttpContext.RequestAborted);
        var settings = tenantId is null ? null : await signIn.GetAsync(tenantId, HttpContext.RequestAborted);
        if (tenantId is not null && settings?.Oidc is not null)
        {
            // A redirect after a form post would have to pass the page's form-action; the provider is reached from a page instead.
            return RedirectToPage("/SignIn", new { tenant = tenantId, hint = address, ReturnUrl });
        }

        if (tenantId is not null && settings is { MailLinks: true })
        {
            // Asked too often: the same answer, no mail; the person waits for the links already sent.
            await requests.RequestAsync(tenantId, address, HttpContext.RequestAborted);
        }

        LinkSent = true;
        return Page();
    }

    /// <summary>Starts the sign-in at the tenant's provider.</summary>
    public async Task<IActionResult> OnGetProviderAsync([FromQuery(Name = "tenant")] string? tenant, [FromQuery(Name = "hint")] string? hint)
    {
        if (tenant is not { Length: > 0 and <= 64 } || !await oidc.EnsureAsync(tenant, HttpContext.RequestAborted))
        {
            return Problem(StatusCodes.Status404NotFound, "SignInNoProviderTitle", "SignInNoProviderText");
        }

        var properties = new AuthenticationProperties { RedirectUri = LocalConsoleUrl(ReturnUrl) };
        if (hint is { Length: > 0 and <= 254 })
        {
            properties.Items["login_hint"] = hint;
        }

        return Challenge(properties, TenantOidc.SchemeOf(tenant));
    }

    private string ContinueUrl(string tenant, string hint) =>
        $"/console/signin?handler=Provider&tenant={Uri.EscapeDataString(tenant)}&hint={Uri.EscapeDataString(hint)}&returnUrl={Uri.EscapeDataString(LocalConsoleUrl(ReturnUrl))}";
}
