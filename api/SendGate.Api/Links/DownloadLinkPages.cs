using System.Net;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using SendGate.Core;
using SendGate.Core.Links;
using SendGate.Core.Policies;

namespace SendGate.Api.Links;

/// <summary>
/// The download page of a mail whose attachments were replaced by a link (<c>/download/{token}</c>)
/// and its files. The token is one of <see cref="LinkTokens"/>, looked up by its hash; the link it
/// finds names its tenant, and files are read only under that tenant. Only a file's own GET counts
/// as a download (a resumed range does not count again); the page itself consumes nothing.
/// </summary>
internal static class DownloadLinkPages
{
    public static void MapDownloadLinks(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/download/{token}", Show).ExcludeFromDescription();
        routes.MapGet("/download/{token}/files/{position:int}", Download).ExcludeFromDescription();
    }

    /// <summary>The token of a download link and the services its page and its files are read with.</summary>
    private readonly record struct LinkRequest([FromRoute(Name = "token")] string Token, LinkStore Links, IDownloadStore Store, PolicyService Policies,
        TimeProvider Time, HttpContext Http, CancellationToken CancellationToken);

    private static async Task<IResult> Show([AsParameters] LinkRequest request)
    {
        var (link, en, refusal) = await OpenAsync(request);
        if (refusal is not null)
        {
            return refusal;
        }

        if (link!.VerifyRecipient)
        {
            // Links that ask for a code are not sent by this version (the delivery keeps such mail back).
            return Page(HttpStatusCode.Gone, en, en ? "This link cannot be used" : "このリンクは使用できません",
                en ? "This download needs a one-time code, which this server cannot send yet." : "このダウンロードには確認コードが必要ですが、このサーバーはまだ確認コードを送信できません。");
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

        if (link!.VerifyRecipient)
        {
            return Page(HttpStatusCode.Gone, en, en ? "This link cannot be used" : "このリンクは使用できません", null);
        }

        var file = (await request.Links.GetFilesAsync(link, request.CancellationToken)).FirstOrDefault(f => f.Position == position);
        var content = file is null || file.RemovedAt is not null ? null : request.Store.Open(link.TenantId, file.StoreKey);
        if (file is null || content is null)
        {
            return Page(HttpStatusCode.NotFound, en, en ? "No such file" : "ファイルが見つかりません",
                en ? "This link has no such file (any more)." : "このリンクにこのファイルはありません。");
        }

        if (StartsAtTheBeginning(request.Http.Request))
        {
            var download = new LinkDownload(file.Id, null, request.Http.Connection.RemoteIpAddress?.ToString(),
                request.Http.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null, request.Time.NowMs());
            var e = new SendGate.Core.Messages.NewEvent(LinkEventType.Downloaded, null, null, "link",
                $"{file.FileName} downloaded", System.Text.Json.JsonSerializer.Serialize(new { fileName = file.FileName, ip = download.Ip }));
            if (!await request.Links.RecordDownloadAsync(link, file, download, e, request.CancellationToken))
            {
                await content.DisposeAsync();
                return Page(HttpStatusCode.Gone, en, en ? "Download limit reached" : "ダウンロード回数の上限に達しました",
                    en ? "This file has been downloaded as often as the sender allowed." : "このファイルは送信者が許可した回数ダウンロードされました。");
            }
        }

        return new FileDownload(file, content);
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
            return Results.File(content, type, enableRangeProcessing: true).ExecuteAsync(context);
        }
    }

    internal static string Disposition(string fileName)
    {
        var fallback = new string(fileName.Select(c => c is >= ' ' and < '\u007f' and not '"' and not '\\' ? c : '_').ToArray());
        return $"attachment; filename=\"{fallback}\"; filename*=UTF-8''{Uri.EscapeDataString(fileName)}";
    }
}
