using Microsoft.AspNetCore.Mvc;
using SendGate.Core.Approvals;
using SendGate.Core.Links;
using SendGate.Core.Messages;
using SendGate.Core.Policies;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>
/// One mail, to re-check before it leaves. Its sender, reviewers and admins see it; an approver
/// sees it through the approval request. Send now needs each external recipient ticked — the
/// confirmation step Japanese gateways use — and goes through the lifecycle like the API's release.
/// </summary>
internal sealed class MessageModel(MessageStore messages, PolicyService policies, MessageActions actions, ApprovalStore approvals, LinkStore links,
    TimeProvider time) : ConsolePage
{
    private const int MaxReason = 500;

    internal MessageView View { get; private set; } = null!;

    internal bool IsSender { get; private set; }

    /// <summary>Held (any mode): the sender, a reviewer or an admin may send it now.</summary>
    internal bool CanSendNow => View.Message.Status == MessageStatus.Held && (IsSender || Viewer.IsReviewer);

    internal bool CanCancel => View.Message.Status is MessageStatus.Held or MessageStatus.AwaitingApproval or MessageStatus.Queued && (IsSender || Viewer.IsReviewer);

    internal ApprovalRequestRow? Approval { get; private set; }

    /// <summary>The download link that replaced the mail's attachments, once it was delivered that way.</summary>
    internal LinkView? Link { get; private set; }

    /// <summary>An active link may be stopped by the mail's sender and by admins, not by reviewers (they only look).</summary>
    internal bool CanStopLink => Link is { Active: true } && MayStopLink;

    private bool MayStopLink => IsSender || Viewer.IsAdmin;

    /// <summary>What the person got wrong in the form, shown beside it.</summary>
    internal string? FormError { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id) => await LoadAsync(id) ?? Page();

    public async Task<IActionResult> OnPostSendAsync(string id, [FromForm(Name = "confirm")] string[]? confirm)
    {
        if (await LoadAsync(id) is { } refused)
        {
            return refused;
        }

        if (!CanSendNow)
        {
            return Gone();
        }

        // Every external recipient ticked, and nothing else: a form made for another version of the mail does not count.
        var ticked = new HashSet<string>((confirm ?? []).Take(1000).Select(a => a.Trim().ToLowerInvariant()), StringComparer.Ordinal);
        var external = View.External.Select(r => r.Address.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        if (!external.SetEquals(ticked))
        {
            FormError = Text["TickEachExternal"];
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }

        var outcome = await actions.ReleaseAsync(new Actor(Viewer.TenantId, Viewer.Actor), id,
            external.Count == 0 ? "sent now on the console" : $"sent now on the console; external recipients confirmed: {string.Join(", ", external.Order(StringComparer.Ordinal))}",
            HttpContext.RequestAborted);
        if (outcome is not ActionOutcome.Done done)
        {
            return Gone();
        }

        await AuditAsync("send-now", $"message={id}", external.Count == 0 ? null : $"confirmed {external.Count} external recipient(s)");
        Notice = done.Message.Status == MessageStatus.Queued ? Text["SentNowNotice"] : Text["ReleasedUntilSendAtNotice"];
        return RedirectToPage("/Message", new { id });
    }

    public async Task<IActionResult> OnPostCancelAsync(string id, [FromForm(Name = "reason")] string? reason)
    {
        if (await LoadAsync(id) is { } refused)
        {
            return refused;
        }

        if (!CanCancel)
        {
            return Gone();
        }

        reason = reason?.Trim();
        if (reason is { Length: > MaxReason } || reason?.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')) == true)
        {
            FormError = Text["ReasonTooLong", MaxReason];
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            return Page();
        }

        var masked = SendGate.Core.Policies.Detectors.SensitiveNumbers.MaskOrNull(reason is { Length: > 0 } r ? r : null);
        var outcome = await actions.CancelAsync(new Actor(Viewer.TenantId, Viewer.Actor), id,
            masked is null ? "cancelled on the console" : $"cancelled on the console: {masked}", HttpContext.RequestAborted);
        if (outcome is not ActionOutcome.Done)
        {
            return Gone();
        }

        await AuditAsync("cancel", $"message={id}", masked);
        Notice = Text["CancelledNotice"];
        return RedirectToPage("/Message", new { id });
    }

    /// <summary>Stops the link as <c>POST /v1/messages/{id}/links/stop</c> does: the store's compare-and-swap, its event and webhook.</summary>
    public async Task<IActionResult> OnPostStopLinkAsync(string id)
    {
        if (await LoadAsync(id) is { } refused)
        {
            return refused;
        }

        if (!MayStopLink)
        {
            return Problem(StatusCodes.Status403Forbidden, "NoAccessTitle", "StopLinkNotYoursText");
        }

        if (Link is null)
        {
            return Problem(StatusCodes.Status404NotFound, "NotFoundTitle", "NoLinkText");
        }

        if (!Link.Active || !await links.StopAsync(Link.Link, Viewer.Actor, "stopped on the console", time.GetUtcNow().ToUnixTimeMilliseconds(), HttpContext.RequestAborted))
        {
            var current = await LinkView.BuildAsync(links, Viewer.TenantId, id, time.GetUtcNow().ToUnixTimeMilliseconds(), HttpContext.RequestAborted) ?? Link;
            return Problem(StatusCodes.Status409Conflict, "LinkEndedTitle", "LinkEndedText", Text["LinkStatus_" + current.Status]);
        }

        await AuditAsync("stop-link", $"message={id} link={Link.Link.Id}", null);
        Notice = Text["LinkStoppedNotice"];
        return RedirectToPage("/Message", new { id });
    }

    /// <summary>An attachment as submitted, always as a download (never shown in the page).</summary>
    public async Task<IActionResult> OnGetAttachmentAsync(string id, int index)
    {
        if (await LoadAsync(id) is { } refused)
        {
            return refused;
        }

        if (await MessageView.AttachmentAsync(View.Message, messages, index, HttpContext.RequestAborted) is not { Content: { } content } part)
        {
            return Problem(StatusCodes.Status404NotFound, "NotFoundTitle", "AttachmentNotFoundText");
        }

        var file = new MemoryStream();
        await content.DecodeToAsync(file, HttpContext.RequestAborted);
        file.Position = 0;
        await AuditAsync("download-attachment", $"message={id} attachment={index}", null);
        return File(file, "application/octet-stream", part.FileName is { Length: > 0 } n ? n : $"attachment-{index + 1}");
    }

    private IActionResult Gone() =>
        Problem(StatusCodes.Status409Conflict, "NoLongerHeldTitle", "NoLongerHeldText", Text["Status_" + View.Message.Status]);

    /// <summary>Loads the mail if this person may see it; otherwise the page to answer with.</summary>
    private async Task<IActionResult?> LoadAsync(string id)
    {
        var viewer = Viewer;
        var message = id.Length is > 0 and <= 100 && (viewer.OnlyMessage is null || viewer.OnlyMessage == id)
            ? await messages.GetAsync(viewer.TenantId, id, HttpContext.RequestAborted)
            : null;
        if (message is null)
        {
            return NotYours();
        }

        IsSender = HeldMail.IsSender(message, viewer.Address);
        Approval = await approvals.GetByMessageAsync(message.Id, HttpContext.RequestAborted);
        // Besides the sender and reviewers, an approver sees the mail of a request she is on.
        if (!IsSender && !viewer.IsReviewer && (Approval is null || !SendGate.Core.Approvals.ApprovalRoutes.Involves(Approval, viewer.Address)))
        {
            return NotYours();
        }

        if (message.ContentPurgedAt is not null)
        {
            return Problem(StatusCodes.Status410Gone, "ContentPurgedTitle", "ContentPurgedText");
        }

        View = await MessageView.BuildAsync(message, messages, policies, HttpContext.RequestAborted);
        Link = await LinkView.BuildAsync(links, viewer.TenantId, message.Id, time.GetUtcNow().ToUnixTimeMilliseconds(), HttpContext.RequestAborted);
        return null;
    }

    // Another tenant's mail, another sender's, and one that does not exist look the same.
    private IActionResult NotYours() => Problem(StatusCodes.Status404NotFound, "NotFoundTitle", "MessageNotFoundText");
}
