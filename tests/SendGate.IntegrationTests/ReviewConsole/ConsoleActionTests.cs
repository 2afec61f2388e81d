using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>What a sender does with held mail on the console, and what no one else may see.</summary>
public sealed class ConsoleActionTests : AppWithSmtpTest
{
    private const string Hanako = "hanako@example.co.jp";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
    }

    private async Task<string> SubmitAsync(string from = Hanako)
    {
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", from), ("to", new[] { "tanaka@partner.co.jp", "suzuki@example.co.jp" }),
            ("cc", new[] { "sato@client.example" }), ("subject", "お見積りの件")));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        return (await submitted.JsonAsync()).Str("id");
    }

    private async Task<string> StatusAsync(string id) => (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status");

    private async Task<ConsoleClient> SignedInAsync(string address)
    {
        var browser = ConsoleClient.For(App);
        await browser.SignInByMailAsync(App, Smtp, address);
        return browser;
    }

    [Fact]
    public async Task A_suspended_tenant_s_console_shows_a_readable_page_and_acts_on_nothing()
    {
        var id = await SubmitAsync();
        using var browser = await SignedInAsync(Hanako);
        var tenantId = (await (await Client.GetAsync("/v1/tenant")).JsonAsync()).Str("id");
        await App.Service<SendGate.Core.Tenants.TenantAccess>().SuspendAsync(tenantId);

        var (status, html) = await browser.GetAsync($"/console/messages/{id}");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("このサービスは停止中です", html, StringComparison.Ordinal);
        Assert.DoesNotContain("tanaka@partner.co.jp", html, StringComparison.Ordinal);
        // Its list shows nothing either, and the held mail stays as it was.
        var (listStatus, list) = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Forbidden, listStatus);
        Assert.DoesNotContain("お見積りの件", list, StringComparison.Ordinal);

        await App.Service<SendGate.Core.Tenants.TenantAccess>().ResumeAsync(tenantId);
        Assert.Equal("held", await StatusAsync(id));
    }

    [Fact]
    public async Task Send_now_needs_every_external_recipient_ticked_and_then_the_mail_reaches_the_smtp_server()
    {
        var id = await SubmitAsync();
        using var browser = await SignedInAsync(Hanako);
        var page = $"/console/messages/{id}";
        var (_, html) = await browser.GetAsync(page);
        Assert.Contains("value=\"tanaka@partner.co.jp\"", html, StringComparison.Ordinal);
        Assert.Contains("value=\"sato@client.example\"", html, StringComparison.Ordinal);
        // The internal recipient needs no tick.
        Assert.DoesNotContain("value=\"suzuki@example.co.jp\"", html, StringComparison.Ordinal);

        var partly = await browser.PostFormAsync(page, $"{page}?handler=Send", ("confirm", "tanaka@partner.co.jp"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, partly.StatusCode);
        Assert.Equal("held", await StatusAsync(id));

        var sent = await browser.PostFormAsync(page, $"{page}?handler=Send", ("confirm", "tanaka@partner.co.jp"), ("confirm", "sato@client.example"));
        Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);
        Assert.Equal("queued", await StatusAsync(id));
        var before = Smtp.Received.Count;
        await App.DeliverDueAsync();
        Assert.Contains(Smtp.Received.Skip(before), r => r.To.Contains("tanaka@partner.co.jp"));

        var events = await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync();
        var released = events.GetProperty("items").EnumerateArray().Single(e => e.Str("type") == "message.released");
        Assert.Equal($"console:{Hanako}", released.Str("actor"));
        var audit = await (await Client.GetAsync("/v1/audit")).JsonAsync();
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), e => e.Str("action") == "console send-now" && e.Str("actor") == $"console:{Hanako}");
    }

    [Fact]
    public async Task Send_now_on_a_mail_already_sent_says_so_and_sends_nothing_again()
    {
        var id = await SubmitAsync();
        using var browser = await SignedInAsync(Hanako);
        var page = $"/console/messages/{id}";
        var (_, form) = await browser.GetAsync(page);
        Assert.Contains("id=\"send-now\"", form, StringComparison.Ordinal);
        var first = await browser.PostFormAsync(page, $"{page}?handler=Send", ("confirm", "tanaka@partner.co.jp"), ("confirm", "sato@client.example"));
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal("sent", await StatusAsync(id));
        var received = Smtp.Received.Count;

        // The same form again, as from a second tab left open.
        var again = await browser.PostFormAsync(page, $"{page}?handler=Send", ("confirm", "tanaka@partner.co.jp"), ("confirm", "sato@client.example"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var html = await again.Content.ReadAsStringAsync();
        Assert.Contains("<h1 id=\"problem-title\">このメールはすでに保留されていません</h1>", html, StringComparison.Ordinal);
        Assert.Contains("何も変更されていません。このメールは現在「送信済み」です", html, StringComparison.Ordinal);
        Assert.Equal(0, (await App.DeliverDueAsync()).Sent);
        Assert.Equal(received, Smtp.Received.Count);
        Assert.Single((await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items").EnumerateArray(), e => e.Str("type") == "message.released");

        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostFormAsync(page, "/console/language", ("language", "en"), ("returnUrl", page))).StatusCode);
        var english = await (await browser.PostFormAsync(page, $"{page}?handler=Send", ("confirm", "tanaka@partner.co.jp"), ("confirm", "sato@client.example"))).Content.ReadAsStringAsync();
        Assert.Contains("This mail is no longer waiting", english, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed: the mail is now &quot;Sent&quot;.", english, StringComparison.Ordinal);
        Assert.Equal(0, (await App.DeliverDueAsync()).Sent);
    }

    [Fact]
    public async Task A_person_without_access_reads_why_in_japanese_and_english()
    {
        var id = await SubmitAsync();
        using var colleague = await SignedInAsync("taro@example.co.jp");
        foreach (var list in new[] { "/console/review", "/console/archive", "/console/audit", "/console/people" })
        {
            var (status, html) = await colleague.GetAsync(list);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("<h1 id=\"problem-title\">権限がありません</h1>", html, StringComparison.Ordinal);
            Assert.Contains(list != "/console/people" ? "この画面は確認者・管理者向けです。必要な場合は管理者に依頼してください。" : "この画面は管理者向けです。", html, StringComparison.Ordinal);
            Assert.DoesNotContain("お見積りの件", html, StringComparison.Ordinal);
        }

        var (missing, mail) = await colleague.GetAsync($"/console/messages/{id}");
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("<h1 id=\"problem-title\">見つかりません</h1>", mail, StringComparison.Ordinal);
        Assert.Contains("表示できるメールではないか、存在しません。", mail, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Redirect, (await colleague.PostFormAsync("/console", "/console/language", ("language", "en"), ("returnUrl", "/console"))).StatusCode);
        var (_, english) = await colleague.GetAsync("/console/review");
        Assert.Contains("<html lang=\"en\">", english, StringComparison.Ordinal);
        Assert.Contains("<h1 id=\"problem-title\">No access</h1>", english, StringComparison.Ordinal);
        Assert.Contains("This page is for reviewers and administrators. Ask an administrator if you need it.", english, StringComparison.Ordinal);
        var (_, englishMail) = await colleague.GetAsync($"/console/messages/{id}");
        Assert.Contains("There is no such mail that you may see.", englishMail, StringComparison.Ordinal);
        Assert.DoesNotContain("tanaka@partner.co.jp", englishMail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sender_cancels_a_held_mail_with_a_reason()
    {
        var id = await SubmitAsync();
        using var browser = await SignedInAsync(Hanako);
        var page = $"/console/messages/{id}";
        var cancelled = await browser.PostFormAsync(page, $"{page}?handler=Cancel", ("reason", "宛先を間違えました"));
        Assert.Equal(HttpStatusCode.Redirect, cancelled.StatusCode);
        Assert.Equal("cancelled", await StatusAsync(id));
        var (_, html) = await browser.GetAsync(page);
        Assert.Contains("取り消し済み", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"send-now\"", html, StringComparison.Ordinal);

        // The form of a mail that is no longer held changes nothing and says why.
        var late = await browser.PostFormAsync(page, $"{page}?handler=Send");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("取り消し済み", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_sender_and_another_tenant_never_see_the_mail()
    {
        var id = await SubmitAsync();
        using var colleague = await SignedInAsync("taro@example.co.jp");
        var (status, html) = await colleague.GetAsync($"/console/messages/{id}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.DoesNotContain("tanaka@partner.co.jp", html, StringComparison.Ordinal);
        Assert.DoesNotContain(id, (await colleague.GetAsync("/console")).Html, StringComparison.Ordinal);

        var otherKey = await App.CreateOtherTenantAdminKeyAsync();
        using var other = App.ClientFor(otherKey);
        await other.SetInternalDomainsAsync("other.example");
        using var stranger = await SignedInAsync("boss@other.example");
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/console/messages/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/console/messages/{id}?handler=Attachment&index=0")).Status);
    }

    [Fact]
    public async Task A_form_without_its_anti_forgery_token_is_refused_with_a_readable_page_and_changes_nothing()
    {
        var id = await SubmitAsync();
        using var browser = await SignedInAsync(Hanako);
        var forged = await browser.Http.PostAsync($"/console/messages/{id}?handler=Send",
            new FormUrlEncodedContent([new("confirm", "tanaka@partner.co.jp"), new("confirm", "sato@client.example")]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        var html = await forged.Content.ReadAsStringAsync();
        Assert.Contains("フォームの有効期限が切れました", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", html, StringComparison.Ordinal);
        Assert.Equal("held", await StatusAsync(id));
    }

    [Fact]
    public async Task A_reviewer_given_the_role_by_the_api_sees_the_tenants_held_mail_and_sends_it()
    {
        var id = await SubmitAsync();
        using var reviewer = await SignedInAsync("check@example.co.jp");
        Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.GetAsync("/console/review")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.GetAsync($"/console/messages/{id}")).Status);

        var given = await Client.PutAsJsonAsync("/v1/console/people/check@example.co.jp", new { role = "reviewer" });
        Assert.Equal(HttpStatusCode.OK, given.StatusCode);
        var (status, html) = await reviewer.GetAsync("/console/review");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"/console/messages/{id}", html, StringComparison.Ordinal);
        var page = $"/console/messages/{id}";
        var sent = await reviewer.PostFormAsync(page, $"{page}?handler=Send", ("confirm", "tanaka@partner.co.jp"), ("confirm", "sato@client.example"));
        Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);
        Assert.Equal("queued", await StatusAsync(id));

        // Taken away, the role ends on the next page.
        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync("/v1/console/people/check@example.co.jp")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.GetAsync("/console/review")).Status);
    }

    [Fact]
    public async Task The_sign_in_settings_keep_the_client_secret_out_of_every_answer()
    {
        var put = await Client.PutAsJsonAsync("/v1/console/sign-in", new
        {
            mailLinks = true,
            oidc = new { authority = "https://login.example.com/tenant/v2.0", clientId = "client-1", clientSecret = "s3cret-value", addressClaim = "preferred_username" },
        });
        var body = await put.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.DoesNotContain("s3cret-value", body, StringComparison.Ordinal);
        var got = JsonDocument.Parse(await Client.GetStringAsync("/v1/console/sign-in")).RootElement;
        Assert.Equal("client-1", got.GetProperty("oidc").Str("clientId"));
        Assert.StartsWith("/console/oidc/", got.GetProperty("oidc").Str("callbackPath"), StringComparison.Ordinal);

        var plainHttp = await Client.PutAsJsonAsync("/v1/console/sign-in", new { oidc = new { authority = "http://login.example.com", clientId = "c", clientSecret = "s" } });
        await plainHttp.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "oidc.authority");
        var noWayIn = await Client.PutAsJsonAsync("/v1/console/sign-in", new { mailLinks = false, oidc = (object?)null });
        await noWayIn.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "mailLinks");
    }

    [Fact]
    public async Task Reviewers_search_the_archive_and_read_the_audit_trail_and_only_admins_export()
    {
        var id = await SubmitAsync();
        await SubmitAsync(from: "taro@example.co.jp");
        using var sender = await SignedInAsync(Hanako);
        Assert.Equal(HttpStatusCode.Forbidden, (await sender.GetAsync("/console/archive")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await sender.GetAsync("/console/audit")).Status);

        (await Client.PutAsJsonAsync("/v1/console/people/check@example.co.jp", new { role = "reviewer" })).EnsureSuccessStatusCode();
        using var reviewer = await SignedInAsync("check@example.co.jp");
        var (status, html) = await reviewer.GetAsync("/console/archive?from=hanako%40example.co.jp&since=2026-11-28");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"/console/messages/{id}", html, StringComparison.Ordinal);
        Assert.Equal(1, html.Split("data-message=", StringSplitOptions.None).Length - 1);
        Assert.Equal(HttpStatusCode.BadRequest, (await reviewer.GetAsync("/console/archive?since=yesterday")).Status);
        Assert.DoesNotContain("id=\"export\"", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.GetAsync("/console/archive?handler=Export")).Status);

        var (_, audit) = await reviewer.GetAsync("/console/audit");
        Assert.Contains("console sign-in (mail link)", audit, StringComparison.Ordinal);

        (await Client.PutAsJsonAsync("/v1/console/people/kanri@example.co.jp", new { role = "admin" })).EnsureSuccessStatusCode();
        using var admin = await SignedInAsync("kanri@example.co.jp");
        var exported = await admin.Http.GetAsync("/console/archive?handler=Export&from=hanako%40example.co.jp");
        Assert.Equal(HttpStatusCode.OK, exported.StatusCode);
        Assert.Equal("application/mbox", exported.Content.Headers.ContentType!.MediaType);
        var mbox = await exported.Content.ReadAsStringAsync();
        Assert.Contains("お見積りの件", MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(mbox[(mbox.IndexOf('\n') + 1)..]))).Subject, StringComparison.Ordinal);
    }
}
