using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace SendGate.Api.ReviewConsole.Pages;

internal sealed class SignOutModel : ConsolePage
{
    public IActionResult OnGet() => RedirectToPage("/Index");

    public async Task<IActionResult> OnPostAsync()
    {
        // As the sign-in, whichever way it was made (oidc, link, notice).
        await AuditAsync("sign-out", Viewer.OnlyMessage is { } only ? $"message={only}" : null, Viewer.Via is { Length: > 0 } via ? $"signed in by {via}" : null);
        await HttpContext.SignOutAsync(ConsoleSetup.Scheme);
        return LocalRedirect("/console/signin");
    }
}
