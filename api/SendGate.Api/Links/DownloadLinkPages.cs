using System.Net;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using SendGate.Core;
using SendGate.Core.Links;
using SendGate.Core.Policies;

namespace SendGate.Api.Links;

/// <summary>
/// The download page of a mail whose attachments were replaced by a link (<c>/download/{token}</c>)
/// and its files. The token is one of <see cref="LinkTokens"/>, looked up by its hash; the link it
/// finds names its tenant, and files are read only under that tenant. With recipient verification
/// the page first asks for an address and mails a one-time code to it when it is one of the mail's
/// recipients (<see cref="LinkCodes"/>); both forms are POSTs with an anti-forgery token, so a
/// scanner fetching the link (GET, HEAD) never mails a code or uses a try; HEAD answers GET's headers
/// without a body. Only a file's own GET counts as a download (a resumed range does not count again).
/// </summary>
internal static class DownloadLinkPages
{
    public static void MapDownloadLinks(this IEndpointRouteBuilder routes)
    {
        // HEAD (link scanners) answers GET's headers without a body, and counts and uses nothing.
        routes.MapMethods("/download/{token}", [HttpMethods.Get, HttpMethods.Head], Show).ExcludeFromDescription();
        routes.MapPost("/download/{token}/code", RequestCode).ExcludeFromDescription().DisableAntiforgery();
        routes.MapPost("/download/{token}/verify", Verify).ExcludeFromDescription().DisableAntiforgery();
        routes.MapPost("/download/{token}/password", Password).ExcludeFromDescription().DisableAntiforgery();
        routes.MapMethods("/download/{token}/files/{position:int}", [HttpMethods.Get, HttpMethods.Head], Download).ExcludeFromDescription();
    }

    // The forms hold an address or a six-digit code: anything much larger is not from the page.
    private const int MaxFormBytes = 8 * 1024;

    private static readonly FormOptions FormLimits = new()
    {
        ValueCountLimit = 8, KeyLengthLimit = 64, ValueLengthLimit = MaxFormBytes, MultipartBodyLengthLimit = MaxFormBytes,
        MultipartHeadersCountLimit = 8, MultipartHeadersLengthLimit = 4096,
    };

    private const string SessionCookie = "sendgate-download";

    /// <summary>The token of a download link and the services its page and its files are read with.</summary>
    private readonly record struct LinkRequest([FromRoute(Name = "token")] string Token, LinkStore Links, LinkCodes Codes, IDownloadStore Store, PolicyService Policies,
        SendGate.Core.Messages.MessageStore Messages,
        IAntiforgery Antiforgery, TimeProvider Time, HttpContext Http, CancellationToken CancellationToken)
    {
        public string? Challenge => Http.Request.Cookies.TryGetValue(SessionCookie, out var value) ? value : null;
    }

    private static async Task<IResult> Show([AsParameters] LinkRequest request)
    {
        var (link, en, refusal) = await OpenAsync(request);
        if (refusal is not null)
        {
            return refusal;
        }

        if (link!.VerifyRecipient && await request.Codes.SessionAsync(link, request.Challenge, request.CancellationToken) is null)
        {
            return await request.Codes.PendingAsync(link, request.Challenge, request.CancellationToken) is { } pending
                ? CodeForm(request, en, HttpStatusCode.OK, en ? $"If {pending.Address} is one of the mail's recipients, a code was mailed to it." : $"{pending.Address} がメールの宛先であれば、確認コードをお送りしました。",
                    await request.Codes.NeedsPasswordAsync(link, request.CancellationToken))
                : AddressForm(request, en, HttpStatusCode.OK, null);
        }

        if (!link.VerifyRecipient && await request.Codes.NeedsPasswordAsync(link, request.CancellationToken)
            && await request.Codes.SessionAsync(link, request.Challenge, request.CancellationToken) is null)
        {
            return PasswordForm(request, en, HttpStatusCode.OK, null);
        }

        var files = await request.Links.GetFilesAsync(link, request.CancellationToken);
        var settings = (await request.Policies.GetSnapshotAsync(link.TenantId, request.CancellationToken)).Settings;
        var list = new StringBuilder("<ul>");
        foreach (var file in files)
        {
            var left = link.MaxDownloadsPerFile is { } max ? Math.Max(0, max - file.Downloads) : (int?)null;
            var usable = file.RemovedAt is null && left is not 0;
            var label = $"{Html(file.FileName)} ({Html(LinkTemplates.Size(file.Size, en))})";
            list.Append("<li>")
                .Append(usable ? $"<a href=\"{Html(request.Token)}/files/{file.Position}\" download>{label}</a>" : label)
                .Append(left is { } n ? $" — {Html(en ? $"{n} download(s) left" : $"残り {n} 回")}" : "")
                .Append("</li>");
        }

        list.Append("</ul>");
        var until = settings.LocalTime(Clock.FromMs(link.ExpiresAt)).ToString(en ? "yyyy-MM-dd HH:mm (zzz)" : "yyyy年M月d日 HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        return Page(HttpStatusCode.OK, en, en ? "Download the attachments" : "添付ファイルのダウンロード",
            en ? $"Available until {until}." : $"{until} までダウンロードできます。", list.ToString());
    }

    private static async Task<IResult> Download([AsParameters] LinkRequest request, [FromRoute] int position)
    {
        var (link, en, refusal) = await OpenAsync(request);
        if (refusal is not null)
        {
            return refusal;
        }

        string? address = null;
        if (link!.VerifyRecipient && (address = await request.Codes.SessionAsync(link, request.Challenge, request.CancellationToken)) is null)
        {
            return Page(HttpStatusCode.Forbidden, en, en ? "Please confirm your address first" : "先にメールアドレスの確認が必要です",
                en ? "Open the link from the mail again and enter the one-time code." : "メールのリンクをもう一度開き、確認コードを入力してください。");
        }

        if (!link.VerifyRecipient && await request.Codes.NeedsPasswordAsync(link, request.CancellationToken)
            && await request.Codes.SessionAsync(link, request.Challenge, request.CancellationToken) is null)
        {
            return Page(HttpStatusCode.Forbidden, en, en ? "Please enter the password first" : "先にパスワードの入力が必要です",
                en ? "Open the link from the mail again and enter the password from the separate mail." : "メールのリンクをもう一度開き、別途お知らせしたパスワードを入力してください。");
        }

        var file = (await request.Links.GetFilesAsync(link, request.CancellationToken)).FirstOrDefault(f => f.Position == position);
        var content = file is null || file.RemovedAt is not null ? null : request.Store.Open(link.TenantId, file.StoreKey);
        if (file is null || content is null)
        {
            return Page(HttpStatusCode.NotFound, en, en ? "No such file" : "ファイルが見つかりません",
                en ? "This link has no such file (any more)." : "このリンクにこのファイルはありません。");
        }

        if (HttpMethods.IsGet(request.Http.Request.Method) && StartsAtTheBeginning(request.Http.Request))
        {
            var download = new LinkDownload(file.Id, address, request.Http.Connection.RemoteIpAddress?.ToString(),
                request.Http.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null, request.Time.NowMs());
            var e = new SendGate.Core.Messages.NewEvent(LinkEventType.Downloaded, null, null, "link",
                $"{file.FileName} downloaded", System.Text.Json.JsonSerializer.Serialize(new { fileName = file.FileName, address, ip = download.Ip }));
            var notice = link.NotifySender && file.Downloads == 0 ? await FirstDownloadNoticeAsync(request, link, file, download) : null;
            if (!await request.Links.RecordDownloadAsync(link, file, download, e, request.CancellationToken, notice))
            {
                await content.DisposeAsync();
                return Page(HttpStatusCode.Gone, en, en ? "Download limit reached" : "ダウンロード回数の上限に達しました",
                    en ? "This file has been downloaded as often as the sender allowed." : "このファイルは送信者が許可した回数ダウンロードされました。");
            }
        }

        return new FileDownload(file, content);
    }

    private static async Task<IResult> RequestCode([AsParameters] LinkRequest request)
    {
        var (link, en, refusal) = await OpenAsync(request);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await ReadFormAsync(request) is not { } form)
        {
            return AddressForm(request, en, HttpStatusCode.BadRequest, en ? "The form expired. Please enter your address again." : "フォームの有効期限が切れました。もう一度メールアドレスを入力してください。");
        }

        if (!link!.VerifyRecipient)
        {
            return new Redirect($"/download/{request.Token}");
        }

        var address = form["address"].ToString().Trim();
        if (address.Length is 0 or > 320 || !address.Contains('@', StringComparison.Ordinal))
        {
            return AddressForm(request, en, HttpStatusCode.BadRequest, en ? "Please enter an e-mail address." : "メールアドレスを入力してください。");
        }

        if (await request.Codes.RequestAsync(link, address, request.CancellationToken) is not { } challenge)
        {
            return Page(HttpStatusCode.TooManyRequests, en, en ? "Too many codes were requested" : "確認コードの要求が多すぎます",
                en ? "Too many codes were requested for this link in the last hour. Please try again later." : "このリンクへの確認コードの要求が多すぎます。1時間ほどしてからもう一度お試しください。");
        }

        request.Http.Response.Cookies.Append(SessionCookie, challenge, new CookieOptions
        {
            HttpOnly = true, Secure = request.Http.Request.IsHttps, SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Lax, Path = $"/download/{request.Token}", IsEssential = true,
        });
        return new Redirect($"/download/{request.Token}");
    }

    private static async Task<IResult> Verify([AsParameters] LinkRequest request)
    {
        var (link, en, refusal) = await OpenAsync(request);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await ReadFormAsync(request) is not { } form)
        {
            return CodeForm(request, en, HttpStatusCode.BadRequest, en ? "The form expired. Please enter the code again." : "フォームの有効期限が切れました。もう一度確認コードを入力してください。",
                await request.Codes.NeedsPasswordAsync(link!, request.CancellationToken));
        }

        var password = await request.Codes.NeedsPasswordAsync(link!, request.CancellationToken);
        return await request.Codes.VerifyAsync(link!, request.Challenge, form["code"].ToString(), form["password"].ToString(), request.CancellationToken) switch
        {
            CodeCheck.Verified => new Redirect($"/download/{request.Token}"),
            CodeCheck.Wrong wrong => CodeForm(request, en, HttpStatusCode.BadRequest,
                password
                    ? en ? $"The code or the password is not right. {wrong.TriesLeft} tries left." : $"確認コードまたはパスワードが違います。あと {wrong.TriesLeft} 回入力できます。"
                    : en ? $"That code is not right. {wrong.TriesLeft} tries left." : $"確認コードが違います。あと {wrong.TriesLeft} 回入力できます。",
                password),
            CodeCheck.TooManyTries => AddressForm(request, en, HttpStatusCode.TooManyRequests,
                en ? "The code was entered wrongly too often. Please ask for a new code." : "確認コードの入力に続けて失敗しました。新しい確認コードを要求してください。"),
            CodeCheck.Expired => AddressForm(request, en, HttpStatusCode.BadRequest,
                en ? "The code has expired. Please ask for a new code." : "確認コードの有効期限が切れました。新しい確認コードを要求してください。"),
            _ => AddressForm(request, en, HttpStatusCode.BadRequest, null),
        };
    }

    /// <summary>The password of a link without recipient verification: right opens the page, wrong costs a try.</summary>
    private static async Task<IResult> Password([AsParameters] LinkRequest request)
    {
        var (link, en, refusal) = await OpenAsync(request);
        if (refusal is not null)
        {
            return refusal;
        }

        if (link!.VerifyRecipient || !await request.Codes.NeedsPasswordAsync(link, request.CancellationToken))
        {
            return new Redirect($"/download/{request.Token}");
        }

        if (await ReadFormAsync(request) is not { } form)
        {
            return PasswordForm(request, en, HttpStatusCode.BadRequest, en ? "The form expired. Please enter the password again." : "フォームの有効期限が切れました。もう一度パスワードを入力してください。");
        }

        var (check, challenge) = await request.Codes.VerifyPasswordAsync(link, request.Challenge, form["password"].ToString(), request.CancellationToken);
        if (challenge is not null)
        {
            request.Http.Response.Cookies.Append(SessionCookie, challenge, new CookieOptions
            {
                HttpOnly = true, Secure = request.Http.Request.IsHttps, SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Lax, Path = $"/download/{request.Token}", IsEssential = true,
            });
        }

        return check switch
        {
            CodeCheck.Verified => new Redirect($"/download/{request.Token}"),
            CodeCheck.Wrong wrong => PasswordForm(request, en, HttpStatusCode.BadRequest,
                en ? $"That password is not right. {wrong.TriesLeft} tries left." : $"パスワードが違います。あと {wrong.TriesLeft} 回入力できます。"),
            _ => Page(HttpStatusCode.TooManyRequests, en, en ? "Too many wrong passwords" : "パスワードの入力に続けて失敗しました",
                en ? "The password was entered wrongly too often. Please try again later." : "パスワードの入力に続けて失敗しました。しばらくしてからもう一度お試しください。"),
        };
    }

    /// <summary>The posted form when its anti-forgery token is good and it fits the page's limits; null otherwise.</summary>
    private static async Task<IFormCollection?> ReadFormAsync(LinkRequest request)
    {
        if (!request.Http.Request.HasFormContentType || request.Http.Request.ContentLength is > MaxFormBytes)
        {
            return null;
        }

        try
        {
            var form = await request.Http.Request.ReadFormAsync(FormLimits, request.CancellationToken);
            await request.Antiforgery.ValidateRequestAsync(request.Http);
            return form;
        }
        catch (Exception ex) when (ex is AntiforgeryValidationException or InvalidDataException or BadHttpRequestException)
        {
            return null;
        }
    }

    private static IResult AddressForm(LinkRequest request, bool en, HttpStatusCode status, string? note)
    {
        var tokens = request.Antiforgery.GetAndStoreTokens(request.Http);
        return Page(status, en, en ? "Confirm that you are a recipient" : "宛先のご本人確認",
            en ? "Enter your e-mail address: when it is one of the mail's recipients, a one-time code is mailed to it."
               : "メールアドレスを入力してください。メールの宛先のアドレスであれば、確認コードをお送りします。",
            Alert(note) + Form(request, tokens, "code", $"""
                <p><label>{Html(en ? "E-mail address" : "メールアドレス")}<br><input type="email" name="address" autocomplete="email" required maxlength="320" size="32"></label></p>
                <p><button>{Html(en ? "Send the code" : "確認コードを送信")}</button></p>
                """));
    }

    private static IResult PasswordForm(LinkRequest request, bool en, HttpStatusCode status, string? note)
    {
        var tokens = request.Antiforgery.GetAndStoreTokens(request.Http);
        return Page(status, en, en ? "Enter the password" : "パスワードの入力",
            en ? "Enter the password that was sent to you in a separate mail." : "別途メールでお知らせしたパスワードを入力してください。",
            Alert(note) + Form(request, tokens, "password", $"""
                {PasswordField(en)}
                <p><button>{Html(en ? "Open" : "開く")}</button></p>
                """));
    }

    private static IResult CodeForm(LinkRequest request, bool en, HttpStatusCode status, string note, bool password)
    {
        var tokens = request.Antiforgery.GetAndStoreTokens(request.Http);
        return Page(status, en, en ? "Enter the one-time code" : "確認コードの入力", note,
            Form(request, tokens, "verify", $"""
                <p><label>{Html(en ? "Code" : "確認コード")}<br><input name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="12" size="8"></label></p>
                {(password ? PasswordField(en) : "")}
                <p><button>{Html(en ? "Confirm" : "確認する")}</button></p>
                """)
            + Form(request, tokens, "code", $"""
                <p>{Html(en ? "No code? Ask again for:" : "届かない場合は、もう一度要求できます：")} <input type="email" name="address" required maxlength="320" size="24"> <button>{Html(en ? "Send again" : "再送信")}</button></p>
                """));
    }

    private static string Alert(string? note) => note is null ? "" : $"<p role=\"alert\"><strong>{Html(note)}</strong></p>\n";

    /// <summary>A form posting to the link's <paramref name="step"/>, with the anti-forgery field every one of them needs.</summary>
    private static string Form(LinkRequest request, AntiforgeryTokenSet tokens, string step, string fields) => $"""
        <form method="post" action="/download/{Html(request.Token)}/{step}">
        <input type="hidden" name="{Html(tokens.FormFieldName)}" value="{Html(tokens.RequestToken ?? "")}">
        {fields}
        </form>

        """;

    private static string PasswordField(bool en) =>
        $"<p><label>{Html(en ? "Password (in the separate mail)" : "パスワード（別途メールでお知らせしたもの）")}<br><input type=\"password\" name=\"password\" autocomplete=\"off\" required maxlength=\"200\" size=\"16\"></label></p>";

    /// <summary>303 to the page: a reload after a form does not post it again.</summary>
    private sealed class Redirect(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            Protect(context.Response);
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            context.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }

    /// <summary>The sender's notice of a file's first download: to the From address, else the envelope sender, and only when internal.</summary>
    private static async Task<SendGate.Core.Notifications.NewNotification?> FirstDownloadNoticeAsync(LinkRequest request, LinkRow link, LinkFileRow file, LinkDownload download)
    {
        if (await request.Messages.GetByIdAsync(link.MessageId, request.CancellationToken) is not { EnvelopeFrom.Length: > 0 } message)
        {
            return null;
        }

        var settings = (await request.Policies.GetSnapshotAsync(link.TenantId, request.CancellationToken)).Settings;
        var from = MimeKit.InternetAddressList.TryParse(message.HeaderFrom, out var list) ? list.Mailboxes.FirstOrDefault()?.Address : null;
        var to = new[] { from, message.EnvelopeFrom }.FirstOrDefault(a => a is { Length: > 0 } && DomainMatch.Covers(settings.InternalDomains, MessageFacts.DomainOf(a)));
        return to is null ? null : new SendGate.Core.Notifications.NewNotification(link.TenantId, link.MessageId, null, SendGate.Core.Notifications.NotificationKind.LinkDownloaded,
            to.Trim().ToLowerInvariant(), System.Text.Json.JsonSerializer.Serialize(new { fileName = file.FileName, address = download.Address, ip = download.Ip, at = download.At }));
    }

    /// <summary>The link, the page's language, and the page that refuses it when it cannot be used.</summary>
    private static async Task<(LinkRow? Link, bool En, IResult? Refusal)> OpenAsync(LinkRequest request)
    {
        var link = await request.Links.GetByTokenAsync(request.Token, request.CancellationToken);
        if (link is null)
        {
            // No tenant is known, so no tenant language: both.
            return (null, false, Page(HttpStatusCode.NotFound, false, "このリンクは存在しません / This link does not exist",
                "リンクをもう一度ご確認ください。 Please check the link again."));
        }

        var en = (await request.Policies.GetSnapshotAsync(link.TenantId, request.CancellationToken)).Settings.Language == "en";
        if (link.Status == LinkStatus.Stopped)
        {
            return (link, en, Page(HttpStatusCode.Gone, en, en ? "This link was stopped" : "このリンクは停止されました",
                en ? "The sender stopped this download. Please contact the sender." : "送信者がこのダウンロードを停止しました。送信者にお問い合わせください。"));
        }

        if (link.Status == LinkStatus.Ended)
        {
            return (link, en, Page(HttpStatusCode.Gone, en, en ? "This link has ended" : "このリンクは終了しました",
                en ? "The files are no longer available." : "ファイルはもう利用できません。"));
        }

        if (link.Status == LinkStatus.Expired || link.ExpiresAt <= request.Time.NowMs())
        {
            return (link, en, Page(HttpStatusCode.Gone, en, en ? "This link has expired" : "このリンクは有効期限が切れました",
                en ? "Please ask the sender to send the files again." : "送信者にファイルの再送をご依頼ください。"));
        }

        return (link, en, null);
    }

    /// <summary>A whole download, or a range from byte 0; a resumed download (a later range) is the same download going on.</summary>
    private static bool StartsAtTheBeginning(HttpRequest request)
    {
        var range = request.GetTypedHeaders().Range;
        return range is null || range.Ranges.Count == 0 || range.Ranges.Any(r => r.From is 0);
    }

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    private static IResult Page(HttpStatusCode status, bool en, string title, string? text, string? html = null) =>
        new LinkPage(status, $$"""
            <!doctype html>
            <html lang="{{(en ? "en" : "ja")}}"><head><meta charset="utf-8"><meta name="robots" content="noindex">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>{{Html(title)}} - SendGate</title>
            <style>body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}li{margin:.5rem 0}button{font-size:1rem;padding:.4rem 1.2rem}</style>
            </head><body><h1>{{Html(title)}}</h1>{{(text is null ? "" : $"<p>{Html(text)}</p>")}}{{html}}</body></html>
            """);

    private static void Protect(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["X-Robots-Tag"] = "noindex";
        response.Headers.XContentTypeOptions = "nosniff";
    }

    /// <summary>An HTML page that keeps the token out of referrers, caches and search engines.</summary>
    private sealed class LinkPage(HttpStatusCode status, string html) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.StatusCode = (int)status;
            response.ContentType = "text/html; charset=utf-8";
            Protect(response);
            response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
            if (HttpMethods.IsHead(context.Request.Method))
            {
                response.ContentLength = Encoding.UTF8.GetByteCount(html);
                return Task.CompletedTask;
            }

            return response.WriteAsync(html, context.RequestAborted);
        }
    }

    /// <summary>
    /// The file, streamed from the download store as an attachment under its original name
    /// (RFC 6266, with RFC 5987's <c>filename*</c> for names beyond ASCII), ranges served for resumed downloads.
    /// </summary>
    private sealed class FileDownload(LinkFileRow file, Stream content) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            Protect(context.Response);
            context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
            context.Response.Headers.ContentDisposition = Disposition(file.FileName);
            var type = MediaTypeHeaderValue.TryParse(file.ContentType, out var parsed) && parsed.MediaType.Value is { } media ? media : "application/octet-stream";
            if (HttpMethods.IsHead(context.Request.Method))
            {
                context.Response.ContentType = type;
                context.Response.ContentLength = content.CanSeek ? content.Length : file.Size;
                context.Response.Headers.AcceptRanges = "bytes";
                return content.DisposeAsync().AsTask();
            }

            return Results.File(content, type, enableRangeProcessing: true).ExecuteAsync(context);
        }
    }

    internal static string Disposition(string fileName)
    {
        var fallback = new string(fileName.Select(c => c is >= ' ' and < '\u007f' and not '"' and not '\\' ? c : '_').ToArray());
        return $"attachment; filename=\"{fallback}\"; filename*=UTF-8''{Uri.EscapeDataString(fileName)}";
    }
}
