using Microsoft.AspNetCore.Mvc;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>Each person chooses the console's language; it follows them (kept by address) and this browser.</summary>
internal sealed class LanguageModel(ConsolePeople people) : ConsolePage
{
    public IActionResult OnGet() => RedirectToPage("/Index");

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "language")] string? language, [FromForm(Name = "returnUrl")] string? returnUrl)
    {
        if (language is not ("ja" or "en"))
        {
            return Problem(StatusCodes.Status400BadRequest, "BadRequestTitle", "LanguageUnknownText");
        }

        Response.Cookies.Append(ConsolePageFilter.LanguageCookie, language, new CookieOptions
        {
            HttpOnly = true, Secure = true, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromDays(365), IsEssential = true,
        });
        if (MaybeViewer is { } viewer)
        {
            await people.SetLanguageAsync(viewer.TenantId, viewer.Address, language, viewer.Actor, HttpContext.RequestAborted);
        }

        return LocalRedirect(LocalConsoleUrl(returnUrl));
    }
}
