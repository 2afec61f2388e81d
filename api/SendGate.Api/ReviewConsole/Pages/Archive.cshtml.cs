using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using SendGate.Api.Infrastructure;
using SendGate.Core.Archive;
using SendGate.Core.Messages;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>The archive search for reviewers and admins: the API's filters, dates in the tenant's time zone, a page at a time.</summary>
internal sealed class ArchiveModel(MessageSearch search, MboxExport export) : ConsolePage
{
    private const int PageSize = 50;

    [BindProperty(SupportsGet = true, Name = "status")] public string? Status { get; set; }
    [BindProperty(SupportsGet = true, Name = "from")] public string? From { get; set; }
    [BindProperty(SupportsGet = true, Name = "to")] public string? To { get; set; }
    [BindProperty(SupportsGet = true, Name = "subject")] public string? Subject { get; set; }
    [BindProperty(SupportsGet = true, Name = "attachment")] public string? Attachment { get; set; }
    [BindProperty(SupportsGet = true, Name = "since")] public string? Since { get; set; }
    [BindProperty(SupportsGet = true, Name = "until")] public string? Until { get; set; }
    [BindProperty(SupportsGet = true, Name = "cursor")] public string? Cursor { get; set; }

    internal IReadOnlyList<MessageRow> Messages { get; private set; } = [];

    internal string? NextCursor { get; private set; }

    internal string? FilterError { get; private set; }

    /// <summary>The filters as a query string, for the next page and the export link.</summary>
    internal string Query(string? cursor = null)
    {
        var pairs = new (string Key, string? Value)[] { ("status", Status), ("from", From), ("to", To), ("subject", Subject), ("attachment", Attachment), ("since", Since), ("until", Until), ("cursor", cursor) };
        return string.Join("&", pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}"));
    }

    public async Task<IActionResult> OnGetAsync()
    {
        if (!Viewer.IsReviewer)
        {
            return Problem(StatusCodes.Status403Forbidden, "NoAccessTitle", "NoAccessText");
        }

        var violations = new List<SendGate.Core.Mime.Violation>();
        var filter = Filter(violations) with { Before = QueryValues.Cursor(Cursor, violations), Limit = PageSize + 1 };
        if (violations.Count > 0)
        {
            FilterError = string.Format(CultureInfo.CurrentCulture, Text["BadFilter"], string.Join(" ", violations.Select(v => v.Message)));
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var rows = await search.ListAsync(Viewer.TenantId, filter, HttpContext.RequestAborted);
        Messages = rows.Take(PageSize).ToList();
        NextCursor = rows.Count > PageSize ? KeysetCursor.Encode(Messages[^1].CreatedAt, Messages[^1].Id) : null;
        return Page();
    }

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

    private MessageFilter Filter(List<SendGate.Core.Mime.Violation> violations)
    {
        if (!string.IsNullOrEmpty(Status) && !MessageStatus.All.Contains(Status))
        {
            violations.Add(new("status", SendGate.Core.Mime.ViolationCode.InvalidField, $"status must be one of {string.Join(", ", MessageStatus.All)}."));
        }

        return new MessageFilter
        {
            Status = string.IsNullOrEmpty(Status) ? null : Status,
            From = Empty(From),
            To = Empty(To),
            SubjectContains = Empty(Subject),
            AttachmentName = Empty(Attachment),
            CreatedFrom = Day(Since, "since", 0, violations),
            CreatedTo = Day(Until, "until", 1, violations),
        };
    }

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // A date from the form is a day in the tenant's time zone: "since" from its start, "until" to its end.
    private long? Day(string? value, string field, int addDays, List<SendGate.Core.Mime.Violation> violations)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            violations.Add(new(field, SendGate.Core.Mime.ViolationCode.InvalidField, $"{field} is a date such as 2026-12-01."));
            return null;
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(Viewer.Settings.TimeZone);
        var local = day.AddDays(addDays).ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUnixTimeMilliseconds();
    }
}
