using Microsoft.AspNetCore.Mvc;
using SendGate.Api.Infrastructure;
using SendGate.Core.Messages;
using SendGate.Core.Mime;

namespace SendGate.Api.Archive;

/// <summary>
/// The search filters of <c>GET /v1/messages</c> and <c>GET /v1/messages/export</c>, bound from the
/// query string and checked in one place.
/// </summary>
internal sealed record MessageSearchQuery(
    [FromQuery(Name = "status")] string? Status,
    [FromQuery(Name = "from")] string? From,
    [FromQuery(Name = "to")] string? To,
    [FromQuery(Name = "subject")] string? Subject,
    [FromQuery(Name = "tag")] string? Tag,
    [FromQuery(Name = "hasAttachments")] string? HasAttachments,
    [FromQuery(Name = "door")] string? Door,
    [FromQuery(Name = "attachment")] string? Attachment,
    [FromQuery(Name = "rule")] string? Rule,
    [FromQuery(Name = "createdFrom")] string? CreatedFrom,
    [FromQuery(Name = "createdTo")] string? CreatedTo)
{
    /// <summary>The filter these values ask for; what is wrong with them is added to <paramref name="violations"/>.</summary>
    public MessageFilter ToFilter(List<Violation> violations)
    {
        var withAttachments = QueryValues.Flag("hasAttachments", HasAttachments, violations);
        if (Status is not null && !MessageStatus.All.Contains(Status))
        {
            violations.Add(new("status", ViolationCode.InvalidField, $"status must be one of {string.Join(", ", MessageStatus.All)}."));
        }

        if (Door is not null && Door is not (Doors.Api or Doors.Smtp))
        {
            violations.Add(new("door", ViolationCode.InvalidField, "door must be api or smtp."));
        }

        return new MessageFilter
        {
            Status = Status,
            From = Address(From),
            To = Address(To),
            SubjectContains = NullIfEmpty(Subject),
            Tag = NullIfEmpty(Tag),
            HasAttachments = withAttachments,
            Door = Door,
            AttachmentName = NullIfEmpty(Attachment),
            RuleId = NullIfEmpty(Rule),
            CreatedFrom = QueryValues.Instant("createdFrom", CreatedFrom, violations),
            CreatedTo = QueryValues.Instant("createdTo", CreatedTo, violations),
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>
    /// The address in a filter value, so that a whole mailbox copied from a message
    /// (<c>"山田 太郎" &lt;taro@example.co.jp&gt;</c>) finds what its address finds.
    /// </summary>
    private static string? Address(string? value) =>
        value is not null && value.Contains('<', StringComparison.Ordinal) && MimeKit.MailboxAddress.TryParse(value, out var mailbox) ? mailbox.Address : value;
}
