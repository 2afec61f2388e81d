using System.Net;
using System.Net.Http.Json;
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
        Assert.Contains("hanako@example.co.jp", html, StringComparison.Ordinal);

        var (shown, page) = await browser.GetAsync($"/console/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, shown);
        Assert.Contains("tanaka@partner.co.jp", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sign_in_link_works_once_and_not_after_it_expires()
    {
        using var first = ConsoleClient.For(App);
        await first.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
        await first.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
        Assert.Equal(2, await App.DeliverNotificationsAsync());
        var mails = Smtp.Received.Select(r => r.Parse()).ToList();
        Assert.Equal("SendGate へのサインイン", mails[0].Subject);
        var used = ConsoleClient.LinkIn(mails[0].TextBody);
        var expired = ConsoleClient.LinkIn(mails[1].TextBody);

        // A scanner fetching the link spends nothing; the button does, once.
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync(used)).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await first.PostFormAsync(used, used)).StatusCode);
        using var second = ConsoleClient.For(App);
        var (again, html) = await second.GetAsync(used);
        Assert.Equal(HttpStatusCode.Gone, again);
        Assert.Contains("このリンクは使用できません", html, StringComparison.Ordinal);

        App.Time.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.Gone, (await second.GetAsync(expired)).Status);
    }

    [Fact]
    public async Task An_address_outside_every_tenant_gets_the_same_answer_and_no_mail()
    {
        using var browser = ConsoleClient.For(App);
        var response = await browser.PostFormAsync("/console/signin", "/console/signin", ("Address", "someone@elsewhere.example"));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("id=\"link-sent\"", html, StringComparison.Ordinal);
        Assert.Equal(0, await App.DeliverNotificationsAsync());
    }

    [Fact]
    public async Task Sign_in_links_to_one_address_are_limited_so_the_form_cannot_flood_a_mailbox()
    {
        using var browser = ConsoleClient.For(App);
        for (var i = 0; i < 5; i++)
        {
            var response = await browser.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(3, await App.DeliverNotificationsAsync());
        App.Time.Advance(TimeSpan.FromMinutes(16));
        await browser.PostFormAsync("/console/signin", "/console/signin", ("Address", "hanako@example.co.jp"));
        Assert.Equal(1, await App.DeliverNotificationsAsync());
    }

    [Fact]
    public async Task A_bad_address_is_answered_on_the_page()
    {
        using var browser = ConsoleClient.For(App);
        var response = await browser.PostFormAsync("/console/signin", "/console/signin", ("Address", "not an address"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("id=\"sign-in-error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
