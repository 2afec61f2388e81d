using System.Net;
using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>The headers of every console page, download and export, and the attributes of every cookie the console sets.</summary>
public sealed class ConsoleHeaderTests : AppWithSmtpTest
{
    private const string Admin = "kanri@example.co.jp";

    private static void AssertPageHeaders(string path, HttpResponseMessage response)
    {
        Assert.True(response.Headers.CacheControl?.NoStore == true, $"{path}: Cache-Control {response.Headers.CacheControl}");
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        // Scripts, when a page may run any, only the console's own file.
        var scripts = csp.Split(';').Select(d => d.Trim()).SingleOrDefault(d => d.StartsWith("script-src", StringComparison.Ordinal));
        Assert.True(scripts is null or "script-src 'self'", $"{path}: {csp}");
        Assert.Equal("no-referrer", string.Join("", response.Headers.GetValues("Referrer-Policy")));
    }

    private static IReadOnlyList<string> Cookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? [.. values] : [];

    private static void AssertCookies(string step, HttpResponseMessage response, string sameSite)
    {
        foreach (var cookie in Cookies(response))
        {
            var attributes = cookie.Split(';').Select(a => a.Trim().ToLowerInvariant()).ToList();
            Assert.True(attributes.Contains("httponly"), $"{step}: {cookie}");
            Assert.True(attributes.Contains("secure"), $"{step}: {cookie}");
            Assert.True(attributes.Any(a => a.StartsWith("samesite=", StringComparison.Ordinal)), $"{step}: {cookie}");
            if (cookie.StartsWith("__Host-sendgate-console=", StringComparison.Ordinal))
            {
                Assert.Contains($"samesite={sameSite}", attributes);
                Assert.Contains("path=/", attributes);
            }
        }
    }

    [Fact]
    public async Task Every_console_page_download_and_export_is_no_store_under_a_csp_without_inline_script_and_every_cookie_is_httponly_secure_and_samesite()
    {
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetDefaultApproversAsync(Admin);
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "PT4H" }], new { type = "externalRecipients" }));
        (await Client.PutAsJsonAsync($"/v1/console/people/{Admin}", new { role = "admin" })).EnsureSuccessStatusCode();
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "hanako@example.co.jp"), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "見積書"),
            ("attachments", new[] { Attachment("見積書.pdf", new byte[100]) })));
        var id = (await submitted.JsonAsync()).Str("id");
        var approvalId = (await (await Client.GetAsync("/v1/approvals")).JsonAsync()).GetProperty("items").EnumerateArray().Single().Str("id");

        // Signing in, step by step, to see each cookie as it is set.
        using var browser = ConsoleClient.For(App);
        var signInPage = await browser.Http.GetAsync("/console/signin");
        AssertPageHeaders("/console/signin", signInPage);
        AssertCookies("sign-in page", signInPage, "lax");
        var asked = await browser.PostFormAsync("/console/signin", "/console/signin", ("Address", Admin));
        AssertPageHeaders("sign-in post", asked);
        await App.DeliverNotificationsAsync();
        var link = ConsoleClient.LinkIn(Smtp.Received.Last(r => r.To.Contains(Admin)).Parse().TextBody);
        var linkPage = await browser.Http.GetAsync(link);
        AssertPageHeaders(link, linkPage);
        var signedIn = await browser.PostFormAsync(link, link);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Contains(Cookies(signedIn), c => c.StartsWith("__Host-sendgate-console=", StringComparison.Ordinal));
        AssertCookies("link sign-in", signedIn, "lax");

        var language = await browser.PostFormAsync("/console", "/console/language", ("language", "en"), ("returnUrl", "/console"));
        Assert.Contains(Cookies(language), c => c.StartsWith("sendgate-lang=", StringComparison.Ordinal));
        AssertCookies("language", language, "lax");

        foreach (var path in new[]
        {
            "/console", "/console/approvals", "/console/approvals?view=decided", $"/console/approvals/{approvalId}", "/console/review", "/console/review?subject=x",
            "/console/archive", "/console/archive?status=bogus", "/console/audit", "/console/people", $"/console/messages/{id}", "/console/messages/msg_none",
        })
        {
            var response = await browser.Http.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
            AssertPageHeaders(path, response);
            AssertCookies(path, response, "lax");
            var html = await response.Content.ReadAsStringAsync();
            // No inline script or handler for the CSP to have to allow.
            Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)", html);
            Assert.DoesNotMatch("\\son[a-z]+=\"", html);
        }

        // Downloads and exports: never cached, always a file.
        foreach (var path in new[] { $"/console/messages/{id}?handler=Attachment&index=0", "/console/audit?handler=Export", "/console/archive?handler=Export" })
        {
            var response = await browser.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{path}: Cache-Control {response.Headers.CacheControl}");
            Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        }

        // A decision's redirect carries the notice cookie: HttpOnly and Secure too.
        var decided = await browser.PostFormAsync($"/console/approvals/{approvalId}", $"/console/approvals/{approvalId}", ("decision", "reject"), ("comment", "x"));
        Assert.True(decided.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Forbidden, $"{decided.StatusCode}");
        AssertCookies("decision", decided, "lax");

        var signedOut = await browser.PostFormAsync("/console", "/console/signout");
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        AssertCookies("sign-out", signedOut, "lax");
    }
}
