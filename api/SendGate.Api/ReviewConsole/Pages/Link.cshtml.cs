using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using SendGate.Core;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>
/// The link in a sign-in mail or a hold notice. <c>GET</c> only shows a button — mail scanners
/// fetch links, and fetching must never sign anyone in or spend a link; the button's <c>POST</c>
/// does. A sign-in link works once; a hold notice's opens its one mail while it lasts.
/// </summary>
internal sealed class LinkModel(ConsoleLinks links, ConsoleSignInLimiter limiter, TimeProvider time) : ConsolePage
{
    internal ConsoleLinkRow Link { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string token) => await FindAsync(token) ?? Page();

    public async Task<IActionResult> OnPostAsync(string token)
    {
        if (!limiter.TryAcquire(HttpContext))
        {
            return Problem(StatusCodes.Status429TooManyRequests, "TooOftenTitle", "TooOftenText");
        }

        if (await FindAsync(token) is { } refused)
        {
            return refused;
        }

        // Already signed in as this person: the link only takes her to the mail, it never narrows her session.
        if (MaybeViewer is { OnlyMessage: null } viewer && viewer.TenantId == Link.TenantId && viewer.Address == Link.Address)
        {
            return LocalRedirect(Link.MessageId is { } mine ? $"/console/messages/{mine}" : "/console");
        }

        var once = Link.MessageId is null;
        if (!await links.UseAsync(token, once, HttpContext.RequestAborted))
        {
            return LinkGone();
        }

        var person = ConsoleSetup.Person(Link.TenantId, Link.Address, once ? "link" : "notice", Link.MessageId);
        await HttpContext.SignInAsync(ConsoleSetup.Scheme, person);
        await HttpContext.RequestServices.GetRequiredService<SendGate.Core.Audit.AuditTrail>().RecordAsync(new SendGate.Core.Audit.AuditEntry(
            Link.TenantId, $"console:{Link.Address}", once ? "console sign-in (mail link)" : "console sign-in (hold notice)",
            Link.MessageId is null ? null : $"message={Link.MessageId}", null, HttpContext.Connection.RemoteIpAddress?.ToString(), 200), HttpContext.RequestAborted);
        return LocalRedirect(Link.MessageId is { } id ? $"/console/messages/{id}" : "/console");
    }

    private async Task<IActionResult?> FindAsync(string token)
    {
        if (await links.FindAsync(token, HttpContext.RequestAborted) is not { } link
            || link.ExpiresAt <= time.NowMs() || (link.MessageId is null && link.UsedAt is not null))
        {
            return LinkGone();
        }

        Link = link;
        return null;
    }

    private IActionResult LinkGone() => Problem(StatusCodes.Status410Gone, "LinkGoneTitle", "LinkGoneText");
}
