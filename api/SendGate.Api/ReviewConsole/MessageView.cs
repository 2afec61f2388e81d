using Ganss.Xss;
using MimeKit;
using SendGate.Core;
using SendGate.Core.Messages;
using SendGate.Core.Policies;
using SendGate.Core.Policies.Detectors;

namespace SendGate.Api.ReviewConsole;

/// <summary>A recipient as the re-check shows it: external or not, and why its domain deserves a second look.</summary>
internal sealed record RecipientView(string Address, string Kind, bool External, bool FirstTime, LookAlike? LookAlike);

internal sealed record AttachmentView(int Index, string Name, string ContentType, long Size, bool WillBeZipped);

/// <summary>
/// One mail as a person re-checks it before it leaves: who, to whom (external, first-time and
/// look-alike domains flagged), what, with which files, and what the policy decided and why.
/// Numbers the detectors find are masked, the HTML body is sanitised and loads nothing remote.
/// </summary>
internal sealed record MessageView(
    MessageRow Message,
    string Subject,
    IReadOnlyList<RecipientView> Recipients,
    IReadOnlyList<AttachmentView> Attachments,
    string? TextBody,
    string? HtmlBody,
    PolicyDecision? Decision)
{
    public IEnumerable<RecipientView> External => Recipients.Where(r => r.External);

    public static async Task<MessageView> BuildAsync(MessageRow message, MessageStore messages, PolicyService policies, CancellationToken cancellationToken)
    {
        var settings = (await policies.GetSnapshotAsync(message.TenantId, cancellationToken)).Settings;
        var history = await policies.GetDeliveryHistoryAsync(message.TenantId, cancellationToken);
        var index = history.Index(settings.InternalDomains);
        var recipients = (await messages.GetRecipientsAsync(message.Id, cancellationToken)).Select(r =>
        {
            var domain = MessageFacts.DomainOf(r.Address);
            var external = !DomainMatch.Covers(settings.InternalDomains, domain);
            return new RecipientView(r.Address, r.Kind, external, external && !history.Contains(domain), external ? index.Find(domain) : null);
        }).ToList();

        var decision = PolicyDecisions.Read(message.Decisions);
        var attachments = new List<AttachmentView>();
        string? text = null, html = null;
        await using (var content = await messages.OpenContentAsync(message.Id, cancellationToken))
        {
            if (content is not null)
            {
                var mime = MimeMessage.Load(content, persistent: false);
                var parts = mime.Attachments.OfType<MimePart>().ToList();
                for (var i = 0; i < parts.Count; i++)
                {
                    var fact = new AttachmentFact(parts[i]);
                    var zipped = decision?.Encryption is { } e && e.Attachments.Contains(fact.FileName) && !e.AlreadyEncryptedAttachments.Contains(fact.FileName);
                    attachments.Add(new AttachmentView(i, SensitiveNumbers.Mask(fact.FileName), fact.ContentType, fact.Size, zipped));
                }

                if (mime.HtmlBody is { } htmlBody)
                {
                    html = Sanitize(htmlBody);
                }

                text = mime.TextBody is { } t ? SensitiveNumbers.Mask(t) : null;
            }
        }

        return new MessageView(message, SensitiveNumbers.Mask(message.Subject), recipients, attachments, text, html, decision);
    }

    /// <summary>The attachment at <paramref name="index"/> of the original, as submitted.</summary>
    public static async Task<MimePart?> AttachmentAsync(MessageRow message, MessageStore messages, int index, CancellationToken cancellationToken)
    {
        await using var content = await messages.OpenContentAsync(message.Id, cancellationToken);
        if (content is null)
        {
            return null;
        }

        var parts = MimeMessage.Load(content, persistent: false).Attachments.OfType<MimePart>().ToList();
        return index >= 0 && index < parts.Count ? parts[index] : null;
    }

    // HTML mail is shown as markup the sanitiser keeps; no image, style sheet or frame is fetched
    // from anywhere (the CSP would refuse it too), links open nothing on their own.
    private static string Sanitize(string html)
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Clear();
        sanitizer.AllowedSchemes.Add("https");
        sanitizer.AllowedSchemes.Add("http");
        sanitizer.AllowedSchemes.Add("mailto");
        sanitizer.AllowedTags.Remove("img");
        sanitizer.AllowedTags.Remove("form");
        sanitizer.AllowedTags.Remove("input");
        sanitizer.AllowedTags.Remove("button");
        sanitizer.AllowedAttributes.Remove("style");
        sanitizer.AllowedCssProperties.Clear();
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is AngleSharp.Dom.IText textNode)
            {
                textNode.Data = SensitiveNumbers.Mask(textNode.Data);
            }
            else if (e.Node is AngleSharp.Html.Dom.IHtmlAnchorElement anchor)
            {
                anchor.SetAttribute("rel", "noopener noreferrer nofollow");
                anchor.SetAttribute("target", "_blank");
            }
        };
        return sanitizer.Sanitize(html);
    }
}
