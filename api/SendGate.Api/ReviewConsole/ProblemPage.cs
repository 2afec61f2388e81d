using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace SendGate.Api.ReviewConsole;

/// <summary>The texts of the console, in resource files: ConsoleText.resx (English) and ConsoleText.ja.resx.</summary>
public sealed class ConsoleText;

/// <summary>
/// A readable page for what cannot be done: an expired or used link, a mail already sent, a
/// request decided by someone else, a page the person has no access to. Never a stack trace.
/// </summary>
internal static class ProblemPage
{
    public static IActionResult Result(HttpContext context, int status, string titleKey, string textKey, params object[] args)
    {
        var english = context.Items[typeof(ConsoleViewer)] is ConsoleViewer viewer ? viewer.English : ConsolePageFilter.AnonymousEnglish(context.Request);
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(english ? "en" : "ja");
        var text = context.RequestServices.GetRequiredService<IStringLocalizer<ConsoleText>>();
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        headers["Referrer-Policy"] = "no-referrer";
        var title = WebUtility.HtmlEncode(text[titleKey]);
        var body = WebUtility.HtmlEncode(string.Format(CultureInfo.CurrentCulture, text[textKey], args));
        return new ContentResult
        {
            StatusCode = status,
            ContentType = "text/html; charset=utf-8",
            Content = $"""
                <!doctype html>
                <html lang="{(english ? "en" : "ja")}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <meta name="robots" content="noindex"><title>{title} - SendGate</title><link rel="stylesheet" href="/console/assets/console.css"></head>
                <body><main class="problem"><h1 id="problem-title">{title}</h1><p id="problem-text">{body}</p>
                <p><a href="/console">{WebUtility.HtmlEncode(text["BackToConsole"])}</a></p></main></body></html>
                """,
        };
    }
}
