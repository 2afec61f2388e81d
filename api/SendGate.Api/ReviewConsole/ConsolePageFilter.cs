using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Core.Infrastructure;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SendGate.Core.Policies;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole;

/// <summary>
/// Around every console page: who is looking (<see cref="ConsoleViewer"/>), the language pages are
/// written in, and the headers that keep shown mail out of caches, frames and referrers and allow
/// no script or style but our own.
/// </summary>
internal sealed class ConsolePageFilter(ConsolePeople people, PolicyService policies, SendGate.Core.Tenants.TenantAccess access) : IAsyncPageFilter
{
    public const string LanguageCookie = "sendgate-lang";

    /// <summary>The page's culture, for <see cref="ConsoleCultureFilter"/>: a culture set here ends with this filter.</summary>
    public static readonly object CultureKey = new();

    // Pages a hold notice's one-mail sign-in may open besides that mail.
    private static readonly HashSet<string> OpenToOneMail = new(StringComparer.Ordinal) { "/Message", "/SignIn", "/Link", "/Problem", "/SignOut", "/Language" };

    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var http = context.HttpContext;
        // Pages open to everyone (sign-in, links, language) still know a person who is signed in.
        var user = http.User;
        if (user.FindFirst(ConsoleSetup.TenantClaim) is null && await http.AuthenticateAsync(ConsoleSetup.Scheme) is { Succeeded: true } signedIn)
        {
            user = signedIn.Principal!;
        }

        var viewer = await ConsoleViewer.ReadAsync(user, people, policies, http.RequestAborted);
        var english = viewer?.English ?? AnonymousEnglish(http.Request);
        http.Items[CultureKey] = CultureInfo.GetCultureInfo(english ? "en" : "ja");
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = (CultureInfo)http.Items[CultureKey]!;
        if (viewer is not null)
        {
            http.Items[typeof(ConsoleViewer)] = viewer;
        }

        var headers = http.Response.Headers;
        headers.CacheControl = "no-store";
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        headers["Referrer-Policy"] = "no-referrer";
        headers["X-Frame-Options"] = "DENY";
        headers["X-Robots-Tag"] = "noindex";

        if (viewer is not null && context.ActionDescriptor.ViewEnginePath is not ("/SignOut" or "/Language")
            && await access.SuspendedAtAsync(viewer.TenantId, http.RequestAborted) is not null)
        {
            context.Result = ProblemPage.Result(http, StatusCodes.Status403Forbidden, "TenantSuspendedTitle", "TenantSuspendedText");
            return;
        }

        if (viewer?.OnlyMessage is not null && !OpenToOneMail.Contains(context.ActionDescriptor.ViewEnginePath))
        {
            context.Result = ProblemPage.Result(http, StatusCodes.Status403Forbidden, "OneMailOnlyTitle", "OneMailOnlyText");
            return;
        }

        await next();
    }

    /// <summary>Before sign-in: the language chosen on this browser, else the one it asks for, else Japanese.</summary>
    public static bool AnonymousEnglish(HttpRequest request) =>
        request.Cookies.TryGetValue(LanguageCookie, out var chosen) && chosen is "ja" or "en"
            ? chosen == "en"
            : request.Headers.AcceptLanguage.ToString().TrimStart().StartsWith("en", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Writes the page in the culture the page filter chose (the view renders after that filter has returned).</summary>
internal sealed class ConsoleCultureFilter : IAsyncAlwaysRunResultFilter
{
    public Task OnResultExecutionAsync(ResultExecutingContext context, ResultExecutionDelegate next)
    {
        if (context.HttpContext.Items[ConsolePageFilter.CultureKey] is CultureInfo culture)
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;
        }

        return next();
    }
}

/// <summary>A refused form (a missing or stale anti-forgery token) gets a readable page, not a bare 400.</summary>
internal sealed class AntiforgeryFailurePage : IAlwaysRunResultFilter
{
    public void OnResultExecuting(ResultExecutingContext context)
    {
        if (context.Result is IAntiforgeryValidationFailedResult)
        {
            context.HttpContext.Response.Headers.CacheControl = "no-store";
            context.Result = ProblemPage.Result(context.HttpContext, StatusCodes.Status400BadRequest, "FormExpiredTitle", "FormExpiredText");
        }
    }

    public void OnResultExecuted(ResultExecutedContext context) { }
}
