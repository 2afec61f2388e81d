using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using SendGate.Core.Audit;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>The tenant's audit trail for reviewers and admins, newest first, filtered by who and what.</summary>
internal sealed class AuditModel(AuditTrail trail) : ConsolePage
{
    private const int PageSize = 100;

    [BindProperty(SupportsGet = true, Name = "actor")] public string? ActorFilter { get; set; }
    [BindProperty(SupportsGet = true, Name = "action")] public string? ActionFilter { get; set; }
    [BindProperty(SupportsGet = true, Name = "cursor")] public string? Cursor { get; set; }

    internal IReadOnlyList<AuditRow> Entries { get; private set; } = [];

    internal string? NextCursor { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (!Viewer.IsReviewer)
        {
            return Problem(StatusCodes.Status403Forbidden, "NoAccessTitle", "NoAccessText");
        }

        long? before = long.TryParse(Cursor, CultureInfo.InvariantCulture, out var seq) && seq > 0 ? seq : null;
        var actor = string.IsNullOrWhiteSpace(ActorFilter) ? null : ActorFilter.Trim()[..Math.Min(ActorFilter.Trim().Length, 400)];
        var action = string.IsNullOrWhiteSpace(ActionFilter) ? null : ActionFilter.Trim()[..Math.Min(ActionFilter.Trim().Length, 200)];
        var rows = await trail.ListAsync(Viewer.TenantId, new AuditFilter(actor, action, null, null, before, PageSize + 1), HttpContext.RequestAborted);
        Entries = rows.Take(PageSize).ToList();
        NextCursor = rows.Count > PageSize ? Entries[^1].Seq.ToString(CultureInfo.InvariantCulture) : null;
        return Page();
    }
}
