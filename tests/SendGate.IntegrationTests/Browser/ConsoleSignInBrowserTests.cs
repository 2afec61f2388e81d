using System.Net.Http.Json;
using Microsoft.Playwright;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Browser;

/// <summary>
/// People sign in through their tenant's own OpenID Connect provider (two tenants, two providers,
/// one host) or by a link by mail, in Chromium, and see only their tenant's mail.
/// </summary>
public sealed class ConsoleSignInBrowserTests(Chromium chromium) : BrowserTest(chromium)
{
    private readonly List<OidcProvider> _providers = [];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }

    /// <summary>Starts a provider for the tenant of <paramref name="admin"/> and configures it through the API.</summary>
    private async Task<OidcProvider> ProviderForAsync(HttpClient admin, string emailDomain, bool mailLinks, string addressClaim = "email", string? userinfoOnlyClaim = null)
    {
        var tenantId = (await (await admin.GetAsync("/v1/tenant")).JsonAsync()).Str("id");
        var provider = await OidcProvider.StartAsync(emailDomain, [$"http://127.0.0.1/console/oidc/{tenantId}/callback"], userinfoOnlyClaim);
        _providers.Add(provider);
        var saved = await admin.PutAsJsonAsync("/v1/console/sign-in", new
        {
            mailLinks,
            oidc = new { authority = provider.Issuer, clientId = provider.ClientId, clientSecret = provider.ClientSecret, addressClaim },
        });
        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());
        return provider;
    }

    /// <summary>What a person does at the provider: its own login page, then its consent page.</summary>
    private static async Task LogInAtProviderAsync(IPage page, OidcProvider provider, string login)
    {
        await page.WaitForURLAsync(provider.Issuer + "/interaction/**");
        await page.FillAsync("input[name=login]", login);
        await page.FillAsync("input[name=password]", "any password");
        await page.ClickAsync("button[type=submit]");
        await page.ClickAsync("button:has-text('Continue')");
    }

    [BrowserFact]
    public async Task Two_tenants_sign_in_through_their_own_providers_and_each_sees_only_its_own_held_mail()
    {
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
        var ours = await SubmitAsync(("from", "sato@example.co.jp"), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "当社の見積書"));
        var providerA = await ProviderForAsync(Client, "example.co.jp", mailLinks: false);

        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        await other.SetInternalDomainsAsync("other.example");
        await other.SetPolicyAsync(Rule("hold", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
        var submitted = await other.PostAsJsonAsync("/v1/messages", Mail(("from", "sato@other.example"), ("to", new[] { "x@partner.co.jp" }), ("subject", "他社の見積書")));
        var theirs = (await submitted.JsonAsync()).Str("id");
        var providerB = await ProviderForAsync(other, "other.example", mailLinks: true);

        // Tenant A: the address leads to A's provider (the page follows on by itself), and back signed in.
        var a = await OpenAsync();
        await GoAsync(a, "/console/signin");
        await a.FillAsync("#address", "sato@example.co.jp");
        await a.ClickAsync("#sign-in");
        await LogInAtProviderAsync(a, providerA, "sato");
        await a.WaitForURLAsync(BaseUrl + "/console");
        Assert.Equal("sato@example.co.jp", await a.Locator("#signed-in-as").InnerTextAsync());
        Assert.Equal(1, await a.Locator($"[data-message='{ours}']").CountAsync());
        Assert.Equal(0, await a.Locator($"[data-message='{theirs}']").CountAsync());
        var response = await GoAsync(a, $"/console/messages/{theirs}");
        Assert.Equal(404, response!.Status);
        // No mail link was mailed for A: A has turned them off.
        Assert.DoesNotContain(Smtp.Received, r => r.To.Contains("sato@example.co.jp"));

        // Tenant B, another browser: B's provider, B's mail only.
        var b = await OpenAsync();
        await GoAsync(b, "/console/signin");
        await b.FillAsync("#address", "sato@other.example");
        await b.ClickAsync("#sign-in");
        await LogInAtProviderAsync(b, providerB, "sato");
        await b.WaitForURLAsync(BaseUrl + "/console");
        Assert.Equal("sato@other.example", await b.Locator("#signed-in-as").InnerTextAsync());
        Assert.Equal(1, await b.Locator($"[data-message='{theirs}']").CountAsync());
        Assert.Equal(0, await b.Locator($"[data-message='{ours}']").CountAsync());

        // The session is the console's own cookie: HttpOnly, Secure, SameSite.
        var cookie = (await b.Context.CookiesAsync()).Single(c => c.Name == "__Host-sendgate-console");
        Assert.True(cookie.HttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal(SameSiteAttribute.Lax, cookie.SameSite);

        // Signing out ends it: the list asks for sign-in again.
        await b.ClickAsync("#sign-out");
        await b.WaitForURLAsync(BaseUrl + "/console/signin");
        await GoAsync(b, "/console");
        Assert.StartsWith(BaseUrl + "/console/signin", b.Url, StringComparison.Ordinal);
    }

    [BrowserFact]
    public async Task A_sign_in_link_works_once_and_the_audit_trail_names_the_person()
    {
        await Client.SetInternalDomainsAsync("example.co.jp");
        var page = await OpenAsync();
        await SignInByMailAsync(page, "hanako@example.co.jp");
        Assert.Equal(BaseUrl + "/console", page.Url);

        // The same link again, in a fresh browser: refused with a readable page.
        var mail = Smtp.Received.Last(r => r.To.Contains("hanako@example.co.jp")).Parse();
        var again = await OpenAsync();
        var response = await GoAsync(again, ConsoleLinkPath(mail.TextBody));
        Assert.Equal(410, response!.Status);
        Assert.Contains("このリンクは使用できません", await again.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await again.Locator("#signed-in-as").CountAsync());
        Assert.DoesNotContain("Exception", await again.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal("ja", await again.Locator("html").GetAttributeAsync("lang"));

        var audit = await (await Client.GetAsync("/v1/audit")).JsonAsync();
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), e => e.Str("actor") == "console:hanako@example.co.jp" && e.Str("action").StartsWith("console sign-in", StringComparison.Ordinal));
    }

    [BrowserFact]
    public async Task An_address_claim_only_the_userinfo_endpoint_gives_signs_the_person_in_and_sign_in_and_sign_out_are_audited()
    {
        await Client.SetInternalDomainsAsync("example.co.jp");
        var provider = await ProviderForAsync(Client, "example.co.jp", mailLinks: false, addressClaim: "work_mail", userinfoOnlyClaim: "work_mail");

        var page = await OpenAsync();
        await GoAsync(page, "/console/signin");
        await page.FillAsync("#address", "sato@example.co.jp");
        await page.ClickAsync("#sign-in");
        await LogInAtProviderAsync(page, provider, "sato");
        await page.WaitForURLAsync(BaseUrl + "/console");
        Assert.Equal("sato@example.co.jp", await page.Locator("#signed-in-as").InnerTextAsync());
        // The provider gave the claim in its userinfo answer and kept it out of the ID token.
        Assert.Contains("CLAIMS userinfo sub email email_verified name work_mail", provider.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(provider.Output.Split('\n'), l => l.StartsWith("CLAIMS id_token", StringComparison.Ordinal) && l.Contains("work_mail", StringComparison.Ordinal));

        await page.ClickAsync("#sign-out");
        await page.WaitForURLAsync(BaseUrl + "/console/signin");

        var entries = (await (await Client.GetAsync("/v1/audit?actor=console%3Asato%40example.co.jp")).JsonAsync()).GetProperty("items").EnumerateArray()
            .Select(e => (Action: e.Str("action"), Detail: e.TryGetProperty("detail", out var d) && d.ValueKind == System.Text.Json.JsonValueKind.String ? d.GetString() : null)).ToList();
        Assert.Equal([("console sign-out", "signed in by oidc"), ("console sign-in (oidc)", null)], entries);
    }
}
