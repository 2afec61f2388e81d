using Microsoft.AspNetCore.Mvc;
using SendGate.Core.Approvals;
using SendGate.Core.Messages;
using SendGate.Core.Policies;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>One approval request: the same re-check view as the sender's, the decisions so far, approve or reject with a comment.</summary>
internal sealed class ApprovalModel(ApprovalStore store, ConsoleApprovals approvals, MessageStore messages, PolicyService policies, TimeProvider time) : ConsolePage
{
    internal ApprovalRequestRow Approval { get; private set; } = null!;

    internal MessageView View { get; private set; } = null!;

    internal IReadOnlyList<ApprovalDecisionRow> Decisions { get; private set; } = [];

    internal bool CanDecide { get; private set; }

    internal bool OwnMail { get; private set; }

    internal string? FormError { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id) => await LoadAsync(id) ?? Page();

    public async Task<IActionResult> OnPostAsync(string id, [FromForm(Name = "decision")] string? decision, [FromForm(Name = "comment")] string? comment)
    {
        if (await LoadAsync(id) is { } refused)
        {
            return refused;
        }

        comment = comment?.Trim();
        if (decision is not ("approve" or "reject") || comment is { Length: > ApprovalsModel.MaxComment })
        {
            FormError = Text["CommentTooLong"];
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }

        var masked = SendGate.Core.Policies.Detectors.SensitiveNumbers.MaskOrNull(comment is { Length: > 0 } c ? c : null);
        var outcome = await approvals.DecideAsync(Viewer, id, decision == "approve", masked, HttpContext);
        switch (outcome)
        {
            case DecideOutcome.Done:
                await AuditAsync(decision, $"approval={id}", masked);
                Notice = decision == "approve" ? Text["ApprovedNotice"] : Text["RejectedNotice"];
                return RedirectToPage("/Approval", new { id });
            case DecideOutcome.AlreadyDecided d:
                return Problem(StatusCodes.Status409Conflict, "AlreadyDecidedTitle", "AlreadyDecidedText", Text["Approval_" + d.Status], d.By ?? "-", d.At is { } at ? Viewer.Time(at) : "-");
            case DecideOutcome.SelfApproval:
                return Problem(StatusCodes.Status403Forbidden, "OwnMailTitle", "OwnMailText");
            case DecideOutcome.Forbidden:
                return Problem(StatusCodes.Status403Forbidden, "NotYoursNowTitle", "ApprovalNotFoundText");
            default:
                return Problem(StatusCodes.Status404NotFound, "NotFoundTitle", "ApprovalNotFoundText");
        }
    }

    private async Task<IActionResult?> LoadAsync(string id)
    {
        var viewer = Viewer;
        var request = id.Length is > 0 and <= 100 ? await store.GetAsync(viewer.TenantId, id, HttpContext.RequestAborted) : null;
        if (request is null || !(viewer.IsAdmin || SendGate.Core.Approvals.ApprovalRoutes.Involves(request, viewer.Address))
            || await messages.GetAsync(viewer.TenantId, request.MessageId, HttpContext.RequestAborted) is not { } message)
        {
            // Not on the route reads as absent: approvers see only what they approve.
            return Problem(StatusCodes.Status404NotFound, "NotFoundTitle", "ApprovalNotFoundText");
        }

        Approval = request;
        OwnMail = SendGate.Core.ReviewConsole.HeldMail.IsSender(message, viewer.Address);
        CanDecide = request.Status == ApprovalStatus.Pending && !OwnMail
            && (viewer.IsAdmin || ApprovalService.Standing(request, ConsoleApprovals.Identity(viewer, HttpContext), time.GetUtcNow()) is not null);
        Decisions = await store.GetDecisionsAsync(request.Id, HttpContext.RequestAborted);
        View = await MessageView.BuildAsync(message, messages, policies, HttpContext.RequestAborted);
        return null;
    }
}
