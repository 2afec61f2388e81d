using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using SendGate.Api.Infrastructure;
using SendGate.Core.Archive;
using SendGate.Core.Messages;
using SendGate.Core.Mime;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>
/// A page of mail found by the archive search's filters (the API's <c>GET /v1/messages</c>): the
/// archive and the review queue. Dates are days in the tenant's time zone; the next page's link
/// carries the filters and the API's keyset cursor.
/// </summary>
internal abstract class MessageSearchPage(MessageSearch search) : ConsolePage
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true, Name = "status")] public string? Status { get; set; }
    [BindProperty(SupportsGet = true, Name = "from")] public string? From { get; set; }
    [BindProperty(SupportsGet = true, Name = "to")] public string? To { get; set; }
    [BindProperty(SupportsGet = true, Name = "subject")] public string? Subject { get; set; }
    [BindProperty(SupportsGet = true, Name = "tag")] public string? Tag { get; set; }
    [BindProperty(SupportsGet = true, Name = "hasAttachments")] public string? HasAttachments { get; set; }
    [BindProperty(SupportsGet = true, Name = "attachment")] public string? Attachment { get; set; }
    [BindProperty(SupportsGet = true, Name = "door")] public string? Door { get; set; }
    [BindProperty(SupportsGet = true, Name = "rule")] public string? Rule { get; set; }
    [BindProperty(SupportsGet = true, Name = "since")] public string? Since { get; set; }
    [BindProperty(SupportsGet = true, Name = "until")] public string? Until { get; set; }
    [BindProperty(SupportsGet = true, Name = "cursor")] public string? Cursor { get; set; }

    /// <summary>The statuses the status filter offers (an empty choice means all of them).</summary>
    internal abstract IReadOnlyList<string> StatusChoices { get; }

    /// <summary>The page's own address, for the form and the next page.</summary>
    internal abstract string Path { get; }

    internal IReadOnlyList<MessageRow> Messages { get; private set; } = [];

    internal string? NextCursor { get; private set; }

    internal string? FilterError { get; private set; }

    /// <summary>The filters as a query string, for the next page and the export link.</summary>
    internal string Query(string? cursor = null)
    {
        var pairs = new (string Key, string? Value)[]
        {
            ("status", Status), ("from", From), ("to", To), ("subject", Subject), ("tag", Tag), ("hasAttachments", HasAttachments), ("attachment", Attachment),
            ("door", Door), ("rule", Rule), ("since", Since), ("until", Until), ("cursor", cursor),
        };
        return string.Join("&", pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}"));
    }

    public async Task<IActionResult> OnGetAsync()
    {
        if (!Viewer.IsReviewer)
        {
            return Problem(StatusCodes.Status403Forbidden, "NoAccessTitle", "NoAccessText");
        }

        var violations = new List<Violation>();
        var filter = Filter(violations) with { Before = QueryValues.Cursor(string.IsNullOrEmpty(Cursor) ? null : Cursor, violations), Limit = PageSize + 1 };
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

    /// <summary>The search the form asks for; what is wrong with it goes into <paramref name="violations"/> in the API's words.</summary>
    internal MessageFilter Filter(List<Violation> violations)
    {
        var status = Empty(Status);
        if (status is not null && !StatusChoices.Contains(status))
        {
            violations.Add(new("status", ViolationCode.InvalidField, $"status must be one of {string.Join(", ", StatusChoices)}."));
        }

        var door = Empty(Door);
        if (door is not null && door is not (Doors.Api or Doors.Smtp))
        {
            violations.Add(new("door", ViolationCode.InvalidField, "door must be api or smtp."));
        }

        return new MessageFilter
        {
            Status = status,
            // Every status offered when none is chosen: the review queue stays what has not left yet.
            Statuses = status is null && StatusChoices.Count < MessageStatus.All.Count ? StatusChoices : null,
            From = Address(Empty(From)),
            To = Address(Empty(To)),
            SubjectContains = Empty(Subject),
            Tag = Empty(Tag),
            HasAttachments = QueryValues.Flag("hasAttachments", Empty(HasAttachments), violations),
            Door = door,
            AttachmentName = Empty(Attachment),
            RuleId = Empty(Rule),
            CreatedFrom = Day(Since, "since", 0, violations),
            CreatedTo = Day(Until, "until", 1, violations),
        };
    }

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // A whole mailbox copied from a mail ("山田 太郎" <taro@example.co.jp>) finds what its address finds, as in the API.
    private static string? Address(string? value) =>
        value is not null && value.Contains('<', StringComparison.Ordinal) && MimeKit.MailboxAddress.TryParse(value, out var mailbox) ? mailbox.Address : value;

    // A date from the form is a day in the tenant's time zone: "since" from its start, "until" to its end.
    private long? Day(string? value, string field, int addDays, List<Violation> violations) =>
        ConsoleDays.Parse(value, field, violations) is { } day ? ConsoleDays.Start(Viewer.Settings.TimeZone, day.AddDays(addDays)) : null;
}

/// <summary>Days as the tenant lives them: the instant a day starts in its time zone.</summary>
internal static class ConsoleDays
{
    public static long Start(string timeZone, DateOnly day)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var local = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUnixTimeMilliseconds();
    }

    /// <summary>A yyyy-MM-dd form value, or null with a violation in the API's words.</summary>
    public static DateOnly? Parse(string? value, string field, List<Violation> violations)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }

        violations.Add(new(field, ViolationCode.InvalidField, $"{field} is a date such as 2026-12-01."));
        return null;
    }
}
