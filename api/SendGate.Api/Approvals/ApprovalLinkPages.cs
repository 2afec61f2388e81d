using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using SendGate.Api.Infrastructure;
using SendGate.Core;
using SendGate.Core.Approvals;
using SendGate.Core.Messages;
using SendGate.Core.Notifications;
using SendGate.Core.Policies;

namespace SendGate.Api.Approvals;

/// <summary>
/// The signed links in approval mails. <c>GET</c> only shows a confirmation page — mail security
/// scanners fetch links, and fetching must never decide anything; only the page's <c>POST</c>
/// decides. A token is bound to one approver, one request and one level, expires with the
/// request's deadline, and works once.
/// </summary>
internal static class ApprovalLinkPages
{
    // The page's form is a choice and a comment of at most 2,000 characters: even fully
    // percent-encoded that is under 20 KB, so anything much larger is not from the page.
    internal const int MaxFormBytes = 64 * 1024;

    private static readonly FormOptions FormLimits = new()
    {
        ValueCountLimit = 16, KeyLengthLimit = 64, ValueLengthLimit = MaxFormBytes, MultipartBodyLengthLimit = MaxFormBytes,
        MultipartHeadersCountLimit = 8, MultipartHeadersLengthLimit = 4096,
    };

    public static void MapApprovalLinks(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/approve/{token}", Show).ExcludeFromDescription();
        routes.MapPost("/approve/{token}", Decide).ExcludeFromDescription().DisableAntiforgery();
    }

    /// <summary>The token of an approval link, and the services its page and its form both look it up with.</summary>
    private readonly record struct LinkRequest([FromRoute(Name = "token")] string Token, NotificationStore Tokens, ApprovalStore Approvals, MessageStore Messages,
        PolicyService Policies, TimeProvider Time, CancellationToken CancellationToken);

    private static async Task<IResult> Show([AsParameters] LinkRequest link)
    {
        var (found, request, en) = await LoadAsync(link);
        if (found is null || request is null || found.UsedAt is not null || found.ExpiresAt <= link.Time.NowMs())
        {
            return Page(HttpStatusCode.Gone, en, en ? "This link can no longer be used" : "このリンクは使用できません",
                en ? "It was used already, has expired, or does not exist. Nothing was decided." : "使用済み、期限切れ、または存在しないリンクです。何も決定されていません。");
        }

        if (request.Status != ApprovalStatus.Pending || request.Level != found.Level)
        {
            return Page(HttpStatusCode.Conflict, en, en ? "Already decided" : "判断済みです", Decided(request, en));
        }

        var message = (await link.Messages.GetByIdAsync(request.MessageId, link.CancellationToken))!;
        if (ApprovalRoutes.SendersOf(message.EnvelopeFrom, message.HeaderFrom).Contains(found.Approver.ToLowerInvariant()))
        {
            return OwnMail(en);
        }

        var settings = (await link.Policies.GetSnapshotAsync(request.TenantId, link.CancellationToken)).Settings;
        var recipients = await link.Messages.GetRecipientsAsync(message.Id, link.CancellationToken);
        var decision = PolicyDecisions.Read(message.Decisions);
        var body = new StringBuilder();
        body.Append("<dl>");
        Row(body, en ? "From" : "差出人", message.HeaderFrom);
        Row(body, en ? "Subject" : "件名", SendGate.Core.Policies.Detectors.SensitiveNumbers.Mask(message.Subject));
        Row(body, en ? "Recipients" : "宛先", string.Join("\n", recipients.Select(r =>
            $"{r.Kind.ToUpperInvariant()}: {r.Address}{(DomainMatch.Covers(settings.InternalDomains, MessageFacts.DomainOf(r.Address)) ? "" : en ? " (external)" : "（社外）")}")));
        Row(body, en ? "Why approval is needed" : "承認が必要な理由", string.Join("\n", (decision?.Rules ?? []).Select(r => $"{r.Name}: {string.Join("; ", r.Conditions.Select(c => c.Detail))}")));
        await using (var content = await link.Messages.OpenContentAsync(message.Id, link.CancellationToken))
        {
            if (content is not null && BodyPreview.Of(MimeKit.MimeMessage.Load(content, persistent: true), 4000) is { } preview)
            {
                Row(body, en ? "Body (beginning)" : "本文（冒頭）", preview);
            }
        }

        Row(body, en ? "Decide by" : "期限", Rfc3339.Format(Clock.FromMs(request.DueAt)));
        Row(body, en ? "You decide as" : "承認者", found.Approver);
        body.Append("</dl>");
        body.Append($"""
            <form method="post">
              <label>{Html(en ? "Comment (optional)" : "コメント（任意）")}<br><textarea name="comment" rows="3" cols="60" maxlength="2000"></textarea></label>
              <p><button name="decision" value="approve">{Html(en ? "Approve" : "承認する")}</button>
                 <button name="decision" value="reject">{Html(en ? "Reject" : "却下する")}</button></p>
            </form>
            """);
        return Page(HttpStatusCode.OK, en, en ? "Approval requested" : "送信承認の依頼", null, body.ToString());
    }

    private static async Task<IResult> Decide([AsParameters] LinkRequest link, HttpContext context, ApprovalService service, SendGate.Core.Audit.AuditTrail audit)
    {
        var (found, request, en) = await LoadAsync(link);
        if (!context.Request.HasFormContentType)
        {
            return Page(HttpStatusCode.UnsupportedMediaType, en, en ? "Use the page" : "確認画面から操作してください",
                en ? "Open the link in a browser and use its buttons." : "リンクをブラウザーで開き、画面のボタンで操作してください。");
        }

        // Read within our own limit, then parsed from memory: a form too large or malformed gets a page, never a 500.
        if (await RequestBody.ReadAsync(context, MaxFormBytes, link.CancellationToken) is not { } raw)
        {
            return Page(HttpStatusCode.RequestEntityTooLarge, en, en ? "Nothing decided" : "何も決定されていません",
                en ? "What was sent is larger than the confirmation page ever sends. Open the link again and use its buttons."
                    : "確認画面から送られる量を超えています。リンクを開き直し、画面のボタンで操作してください。");
        }

        IFormCollection form;
        try
        {
            context.Request.Body = new MemoryStream(raw, writable: false);
            context.Features.Set<IFormFeature>(new FormFeature(context.Request, FormLimits));
            form = await context.Request.ReadFormAsync(link.CancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or FormatException)
        {
            return Page(HttpStatusCode.BadRequest, en, en ? "Nothing decided" : "何も決定されていません",
                en ? "The form could not be read. Open the link again and use its buttons." : "フォームを読み取れませんでした。リンクを開き直し、画面のボタンで操作してください。");
        }

        var verb = form["decision"].ToString();
        var comment = SendGate.Core.Policies.Detectors.SensitiveNumbers.Mask(form["comment"].ToString().Trim());
        if (verb is not ("approve" or "reject") || comment.Length > 2000)
        {
            return Page(HttpStatusCode.BadRequest, en, en ? "Nothing decided" : "何も決定されていません",
                en ? "Choose Approve or Reject (comment at most 2000 characters)." : "「承認する」か「却下する」を選んでください（コメントは2000文字まで）。");
        }

        if (found is null || request is null || found.UsedAt is not null || found.ExpiresAt <= link.Time.NowMs())
        {
            return Page(HttpStatusCode.Gone, en, en ? "This link can no longer be used" : "このリンクは使用できません",
                en ? "It was used already, has expired, or does not exist. Nothing was decided." : "使用済み、期限切れ、または存在しないリンクです。何も決定されていません。");
        }

        if (request.Level != found.Level)
        {
            return Page(HttpStatusCode.Conflict, en, en ? "This step is over" : "この段階は終了しています", Decided(request, en));
        }

        // Refused before the token is spent: nothing changes.
        if (await link.Messages.GetByIdAsync(request.MessageId, link.CancellationToken) is { } message
            && ApprovalRoutes.SendersOf(message.EnvelopeFrom, message.HeaderFrom).Contains(found.Approver.ToLowerInvariant()))
        {
            return OwnMail(en);
        }

        if (!await link.Tokens.UseTokenAsync(link.Token, link.Time.NowMs(), link.CancellationToken))
        {
            return Page(HttpStatusCode.Gone, en, en ? "This link can no longer be used" : "このリンクは使用できません",
                en ? "It was used already, has expired, or does not exist. Nothing was decided." : "使用済み、期限切れ、または存在しないリンクです。何も決定されていません。");
        }

        var who = new ApproverIdentity(found.Approver, false, found.Approver, null, "link", context.Connection.RemoteIpAddress?.ToString());
        var outcome = await service.DecideAsync(found.TenantId, request.Id, who, verb == "approve", comment.Length == 0 ? null : comment, link.CancellationToken);
        if (outcome is DecideOutcome.Done)
        {
            await audit.RecordAsync(new SendGate.Core.Audit.AuditEntry(found.TenantId, $"link ({found.Approver})", $"POST /approve/{{token}} {verb}",
                $"approval={request.Id}", comment.Length == 0 ? null : comment, who.Ip, 200), link.CancellationToken);
        }

        return outcome switch
        {
            DecideOutcome.Done => Page(HttpStatusCode.OK, en, verb == "approve" ? en ? "Approved" : "承認しました" : en ? "Rejected" : "却下しました",
                en ? "Your decision is recorded. You can close this page." : "判断を記録しました。この画面は閉じてかまいません。"),
            DecideOutcome.SelfApproval => OwnMail(en),
            DecideOutcome.AlreadyDecided => Page(HttpStatusCode.Conflict, en, en ? "Already decided" : "判断済みです",
                Decided((await link.Approvals.GetAsync(found.TenantId, request.Id, link.CancellationToken))!, en)),
            _ => Page(HttpStatusCode.Forbidden, en, en ? "Not yours to decide" : "判断する権限がありません",
                en ? "You are no longer an approver of this request." : "あなたはこの依頼の承認者ではなくなりました。"),
        };
    }

    private static async Task<(ApprovalTokenRow? Token, ApprovalRequestRow? Request, bool English)> LoadAsync(LinkRequest link)
    {
        var found = LinkTokens.IsWellFormed(link.Token) ? await link.Tokens.FindTokenAsync(link.Token, link.CancellationToken) : null;
        if (found is null)
        {
            return (null, null, false);
        }

        var request = await link.Approvals.GetAsync(found.TenantId, found.RequestId, link.CancellationToken);
        var en = (await link.Policies.GetSnapshotAsync(found.TenantId, link.CancellationToken)).Settings.Language == "en";
        return (found, request, en);
    }

    private static IResult OwnMail(bool en) =>
        Page(HttpStatusCode.Forbidden, en, en ? "You cannot decide your own mail" : "ご自身のメールは承認できません",
            en ? "You sent this mail, so another approver decides it (segregation of duties). Nothing was decided."
                : "このメールの送信者はあなたのため、ほかの承認者が判断します（職務分掌）。何も決定されていません。");

    private static string Decided(ApprovalRequestRow request, bool en) =>
        request.DecidedBy is null
            ? en ? $"This request is {request.Status}." : $"この依頼は現在「{request.Status}」です。"
            : en ? $"This request was {request.Status} by {request.DecidedBy} at {Rfc3339.Format(Clock.FromMs(request.DecidedAt!.Value))}."
            : $"この依頼は {Rfc3339.Format(Clock.FromMs(request.DecidedAt!.Value))} に {request.DecidedBy} により「{request.Status}」となりました。";

    private static void Row(StringBuilder body, string term, string value) =>
        body.Append($"<dt>{Html(term)}</dt><dd>{Html(value).Replace("\n", "<br>", StringComparison.Ordinal)}</dd>");

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    private static IResult Page(HttpStatusCode status, bool en, string title, string? text, string? html = null) =>
        new LinkPage(status, $$"""
            <!doctype html>
            <html lang="{{(en ? "en" : "ja")}}"><head><meta charset="utf-8"><meta name="robots" content="noindex">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>{{Html(title)}} - SendGate</title>
            <style>body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}dt{font-weight:bold;margin-top:.6rem}button{font-size:1rem;margin-right:1rem;padding:.4rem 1.2rem}</style>
            </head><body><h1>{{Html(title)}}</h1>{{(text is null ? "" : $"<p>{Html(text)}</p>")}}{{html}}</body></html>
            """);

    /// <summary>An HTML page that keeps the token out of referrers, caches and search engines.</summary>
    private sealed class LinkPage(HttpStatusCode status, string html) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.StatusCode = (int)status;
            response.ContentType = "text/html; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            response.Headers["Referrer-Policy"] = "no-referrer";
            response.Headers["X-Robots-Tag"] = "noindex";
            response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
            return response.WriteAsync(html, context.RequestAborted);
        }
    }
}
