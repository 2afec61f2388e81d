using Microsoft.AspNetCore.Mvc;
using SendGate.Core.Archive;
using SendGate.Core.Messages;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>The archive search for reviewers and admins: the API's filters, dates in the tenant's time zone, a page at a time.</summary>
internal sealed class ArchiveModel(MessageSearch search, MboxExport export) : MessageSearchPage(search)
{
    internal override IReadOnlyList<string> StatusChoices => MessageStatus.All;

    internal override string Path => "/console/archive";

    /// <summary>What the search finds, as one mbox file (admins, as the API's export).</summary>
    public async Task<IActionResult> OnGetExportAsync()
    {
        if (!Viewer.IsAdmin)
        {
            return Problem(StatusCodes.Status403Forbidden, "NoAccessTitle", "AdminOnlyText");
        }

        var violations = new List<SendGate.Core.Mime.Violation>();
        var filter = Filter(violations) with { Limit = 200 };
        if (violations.Count > 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "BadRequestTitle", "BadFilter", string.Join(" ", violations.Select(v => v.Message)));
        }

        await AuditAsync("export", null, Query());
        Response.ContentType = "application/mbox";
        Response.Headers.ContentDisposition = "attachment; filename=\"sendgate-export.mbox\"";
        await export.WriteAsync(Response.Body, Viewer.TenantId, filter, sent: false, HttpContext.RequestAborted);
        return new EmptyResult();
    }
}
