using Microsoft.AspNetCore.Mvc;
using SendGate.Api.Infrastructure;
using SendGate.Core.Approvals;
using SendGate.Core.Messages;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>The approval queue: requests the person may decide now, several at once; and the decided ones she was on.</summary>
internal sealed class ApprovalsModel(ConsoleApprovals approvals) : ConsolePage
{
    internal const int MaxComment = 2000;

    [BindProperty(SupportsGet = true, Name = "view")]
    public string? View { get; set; }

    [BindProperty(SupportsGet = true, Name = "cursor")]
    public string? Cursor { get; set; }

    internal bool Decided => View == "decided";

    internal IReadOnlyList<(ApprovalRequestRow Request, MessageRow Message)> Items { get; private set; } = [];

    /// <summary>The next page's address (the tab kept), when there is one.</summary>
    internal string NextPage { get; private set; } = "";

    internal string? FormError { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        (long, string)? before = null;
        if (!string.IsNullOrEmpty(Cursor) && (before = KeysetCursor.Decode(Cursor)) is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "BadRequestTitle", "BadFilter", "cursor is not one this page gave.");
        }

        var page = await approvals.ListAsync(Viewer, pending: !Decided, before, HttpContext);
        Items = page.Items;
        NextPage = page.NextCursor is { } next ? $"/console/approvals?{(Decided ? "view=decided&" : "")}cursor={Uri.EscapeDataString(next)}" : "";
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "ids")] string[]? ids, [FromForm(Name = "decision")] string? decision, [FromForm(Name = "comment")] string? comment)
    {
        var chosen = (ids ?? []).Where(i => i.Length is > 0 and <= 100).Distinct(StringComparer.Ordinal).Take(PageLimit).ToList();
        comment = comment?.Trim();
        if (decision is not ("approve" or "reject") || chosen.Count == 0 || comment is { Length: > MaxComment })
        {
            FormError = comment is { Length: > MaxComment } ? Text["CommentTooLong"] : Text["NothingSelected"];
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            Items = (await approvals.ListAsync(Viewer, pending: true, null, HttpContext)).Items;
            return Page();
        }

        var masked = SendGate.Core.Policies.Detectors.SensitiveNumbers.MaskOrNull(comment is { Length: > 0 } c ? c : null);
        var done = 0;
        var skipped = new List<string>();
        foreach (var id in chosen)
        {
            var outcome = await approvals.DecideAsync(Viewer, id, decision == "approve", masked, HttpContext);
            if (outcome is DecideOutcome.Done)
            {
                done++;
                await AuditAsync(decision, $"approval={id}", masked);
            }
            else
            {
                skipped.Add(outcome switch
                {
                    DecideOutcome.AlreadyDecided d => string.Format(System.Globalization.CultureInfo.CurrentCulture, Text["AlreadyDecidedText"], Text["Approval_" + d.Status], d.By ?? "-", d.At is { } at ? Viewer.Time(at) : "-"),
                    DecideOutcome.SelfApproval => Text["OwnMailText"],
                    _ => Text["ApprovalNotFoundText"],
                });
            }
        }

        Notice = string.Format(System.Globalization.CultureInfo.CurrentCulture, Text["BulkDone"], done)
            + (skipped.Count == 0 ? "" : " " + string.Format(System.Globalization.CultureInfo.CurrentCulture, Text["BulkSkipped"], skipped.Count, string.Join(" / ", skipped.Distinct())));
        return RedirectToPage("/Approvals");
    }

    private const int PageLimit = ConsoleApprovals.PageSize;
}
