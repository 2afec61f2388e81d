using System.Net.Http.Json;
using System.Net;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>Signing in to the console by a link sent by mail, over a real SMTP server.</summary>
public sealed class ConsoleSignInTests : AppWithSmtpTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    [Fact]
    public async Task A_sender_signs_in_by_mail_link_and_sees_her_held_mail()
    {
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "hanako@example.co.jp"), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "ご確認のお願い")));
        var id = (await submitted.JsonAsync()).Str("id");

        using var browser = ConsoleClient.For(App);
        var (status, _) = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, status);

        await browser.SignInByMailAsync(App, Smtp, "hanako@example.co.jp");
        var (listed, html) = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Contains("ご確認のお願い", html, StringComparison.Ordinal);
        Assert.Contains($"/console/messages/{id}", html, StringComparison.Ordinal);

        var (shown, page) = await browser.GetAsync($"/console/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, shown);
        Assert.Contains("tanaka@partner.co.jp", page, StringComparison.Ordinal);
    }
}
