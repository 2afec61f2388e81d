using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using SendGate.Core.Audit;
using SendGate.Core.Mime;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>
/// The tenant's audit trail for reviewers and admins, newest first, filtered by who, what and which
/// days (in the tenant's time zone), a page at a time; and the same as a CSV file, itself audited.
/// </summary>
internal sealed class AuditModel(AuditTrail trail) : ConsolePage
{
    private const int PageSize = 100;

    [BindProperty(SupportsGet = true, Name = "actor")] public string? ActorFilter { get; set; }
    [BindProperty(SupportsGet = true, Name = "action")] public string? ActionFilter { get; set; }
    [BindProperty(SupportsGet = true, Name = "from")] public string? FromDay { get; set; }
    [BindProperty(SupportsGet = true, Name = "to")] public string? ToDay { get; set; }
    [BindProperty(SupportsGet = true, Name = "cursor")] public string? Cursor { get; set; }

    internal IReadOnlyList<AuditRow> Entries { get; private set; } = [];

    internal string? NextCursor { get; private set; }

    internal string? FilterError { get; private set; }

    /// <summary>The filters as a query string, for the next page and the export link.</summary>
    internal string Query(string? cursor = null)
    {
        var pairs = new (string Key, string? Value)[] { ("actor", ActorFilter), ("action", ActionFilter), ("from", FromDay), ("to", ToDay), ("cursor", cursor) };
        return string.Join("&", pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}"));
    }

    public async Task<IActionResult> OnGetAsync()
    {
        if (!Viewer.IsReviewer)
        {
            return Problem(StatusCodes.Status403Forbidden, "NoAccessTitle", "NoAccessText");
        }

        var violations = new List<Violation>();
        var filter = Filter(violations);
        long? before = null;
        if (!string.IsNullOrEmpty(Cursor))
        {
            if (long.TryParse(Cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq > 0)
            {
                before = seq;
            }
            else
            {
                violations.Add(new("cursor", ViolationCode.InvalidField, "cursor is not one this page gave."));
            }
        }

        if (violations.Count > 0)
        {
            FilterError = string.Format(CultureInfo.CurrentCulture, Text["BadFilter"], string.Join(" ", violations.Select(v => v.Message)));
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var rows = await trail.ListAsync(Viewer.TenantId, filter with { BeforeSeq = before, Limit = PageSize + 1 }, HttpContext.RequestAborted);
        Entries = rows.Take(PageSize).ToList();
        NextCursor = rows.Count > PageSize ? Entries[^1].Seq.ToString(CultureInfo.InvariantCulture) : null;
        return Page();
    }

    /// <summary>Everything the filters find as one CSV file; the export is recorded in the trail before the first row is written.</summary>
    public async Task<IActionResult> OnGetExportAsync()
    {
        if (!Viewer.IsReviewer)
        {
            return Problem(StatusCodes.Status403Forbidden, "NoAccessTitle", "NoAccessText");
        }

        var violations = new List<Violation>();
        var filter = Filter(violations);
        if (violations.Count > 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "BadRequestTitle", "BadFilter", string.Join(" ", violations.Select(v => v.Message)));
        }

        var query = Query();
        await AuditAsync("export-audit", null, query.Length > 0 ? query : null);
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = "attachment; filename=\"sendgate-audit.csv\"";
        await AuditCsv.WriteAsync(Response.Body, trail, Viewer.TenantId, filter, HttpContext.RequestAborted);
        return new EmptyResult();
    }

    private AuditFilter Filter(List<Violation> violations)
    {
        var actor = Bounded(ActorFilter, 400);
        var action = Bounded(ActionFilter, 200);
        var from = ConsoleDays.Parse(FromDay, "from", violations);
        var to = ConsoleDays.Parse(ToDay, "to", violations);
        var zone = Viewer.Settings.TimeZone;
        return new AuditFilter(actor, action, from is { } f ? ConsoleDays.Start(zone, f) : null, to is { } t ? ConsoleDays.Start(zone, t.AddDays(1)) : null, null, PageSize);
    }

    private static string? Bounded(string? value, int max) =>
        string.IsNullOrWhiteSpace(value) ? null : value.Trim()[..Math.Min(value.Trim().Length, max)];
}
