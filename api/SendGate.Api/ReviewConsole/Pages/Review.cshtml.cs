using Microsoft.AspNetCore.Mvc;
using SendGate.Core.Messages;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>The reviewers' queue: all of the tenant's mail that has not left yet.</summary>
internal sealed class ReviewModel(HeldMail held) : ConsolePage
{
    internal IReadOnlyList<MessageRow> Messages { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        if (!Viewer.IsReviewer)
        {
            return Problem(StatusCodes.Status403Forbidden, "NoAccessTitle", "NoAccessText");
        }

        Messages = await held.AllAsync(Viewer.TenantId, HttpContext.RequestAborted);
        return Page();
    }
}
