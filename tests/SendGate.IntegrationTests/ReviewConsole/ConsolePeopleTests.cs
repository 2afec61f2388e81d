using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>Roles given and taken on the console's People page, and proxies deciding on the console only within their dates.</summary>
public sealed class ConsolePeopleTests : AppWithSmtpTest
{
    private const string Kanri = "kanri@example.co.jp";
    private const string Check = "check@example.co.jp";
    private const string Boss = "boss@example.co.jp";
    private const string Deputy = "deputy@example.co.jp";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private async Task<ConsoleClient> SignedInAsync(string address)
    {
        var browser = ConsoleClient.For(App);
        await browser.SignInByMailAsync(App, Smtp, address);
        return browser;
    }

    private async Task<List<JsonElement>> PeopleAsync() =>
        [.. (await (await Client.GetAsync("/v1/console/people")).JsonAsync()).GetProperty("items").EnumerateArray()];

    private async Task<List<JsonElement>> AuditAsync() =>
        [.. (await (await Client.GetAsync("/v1/audit")).JsonAsync()).GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task An_admin_gives_and_takes_the_reviewer_role_on_the_page_and_each_change_is_audited()
    {
        (await Client.PutAsJsonAsync($"/v1/console/people/{Kanri}", new { role = "admin" })).EnsureSuccessStatusCode();
        using var admin = await SignedInAsync(Kanri);
        using var check = await SignedInAsync(Check);
        Assert.Equal(HttpStatusCode.Forbidden, (await check.GetAsync("/console/review")).Status);

        var given = await admin.PostFormAsync("/console/people", "/console/people", ("address", "Check@Example.co.jp"), ("role", "reviewer"));
        Assert.Equal(HttpStatusCode.Redirect, given.StatusCode);
        var (_, page) = await admin.GetAsync("/console/people");
        Assert.Contains($"{Check} の役割を保存しました。", page, StringComparison.Ordinal);
        Assert.Contains($"<tr data-address=\"{Check}\"><td>{Check}</td><td>確認者</td>", page, StringComparison.Ordinal);
        var person = Assert.Single(await PeopleAsync(), p => p.Str("address") == Check);
        Assert.Equal("reviewer", person.Str("role"));
        Assert.Equal($"console:{Kanri}", person.Str("updatedBy"));
        Assert.Equal(HttpStatusCode.OK, (await check.GetAsync("/console/review")).Status);

        var removed = await admin.PostFormAsync("/console/people", "/console/people", ("address", Check), ("role", ""));
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);
        Assert.DoesNotContain(await PeopleAsync(), p => p.Str("address") == Check);
        Assert.DoesNotContain($"data-address=\"{Check}\"", (await admin.GetAsync("/console/people")).Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await check.GetAsync("/console/review")).Status);

        var audit = await AuditAsync();
        var set = Assert.Single(audit, e => e.Str("action") == "console set-role");
        Assert.Equal($"console:{Kanri}", set.Str("actor"));
        Assert.Equal($"person={Check}", set.Str("resource"));
        Assert.Equal("reviewer", set.Str("detail"));
        var taken = Assert.Single(audit, e => e.Str("action") == "console remove-role");
        Assert.Equal($"console:{Kanri}", taken.Str("actor"));
        Assert.Equal($"person={Check}", taken.Str("resource"));
    }

    [Fact]
    public async Task A_reviewer_cannot_change_roles_and_is_told_so_on_a_readable_page()
    {
        (await Client.PutAsJsonAsync($"/v1/console/people/{Check}", new { role = "reviewer" })).EnsureSuccessStatusCode();
        using var reviewer = await SignedInAsync(Check);
        var (status, html) = await reviewer.GetAsync("/console/people");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("権限がありません", html, StringComparison.Ordinal);
        Assert.Contains("この画面は管理者向けです。", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"role-form\"", html, StringComparison.Ordinal);

        // A form made elsewhere (the token of another console page) changes nothing either: not her own role, not another's.
        var promoted = await reviewer.PostFormAsync("/console", "/console/people", ("address", Check), ("role", "admin"));
        Assert.Equal(HttpStatusCode.Forbidden, promoted.StatusCode);
        Assert.Contains("この画面は管理者向けです。", await promoted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var other = await reviewer.PostFormAsync("/console", "/console/people", ("address", "taro@example.co.jp"), ("role", "reviewer"));
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);

        var person = Assert.Single(await PeopleAsync());
        Assert.Equal((Check, "reviewer"), (person.Str("address"), person.Str("role")));
        Assert.DoesNotContain(await AuditAsync(), e => e.Str("action") is "console set-role" or "console remove-role");

        Assert.Equal(HttpStatusCode.Redirect, (await reviewer.PostFormAsync("/console", "/console/language", ("language", "en"), ("returnUrl", "/console"))).StatusCode);
        var (_, english) = await reviewer.GetAsync("/console/people");
        Assert.Contains("No access", english, StringComparison.Ordinal);
        Assert.Contains("This page is for administrators.", english, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proxy_sees_and_decides_a_request_on_the_console_only_within_the_proxy_dates()
    {
        var route = await Client.PutAsJsonAsync("/v1/approval-routes/default", new
        {
            entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } },
            proxies = new[] { new { approver = Boss, proxy = Deputy, from = SendGateApp.Start.AddDays(1), until = SendGateApp.Start.AddDays(3) } },
        });
        Assert.True(route.IsSuccessStatusCode, await route.Content.ReadAsStringAsync());
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "P5D" }], new { type = "externalRecipients" }));
        var first = await SubmitAsync("見積書の送付");
        var second = await SubmitAsync("契約書の送付");
        var firstApproval = await ApprovalIdAsync(first);
        var secondApproval = await ApprovalIdAsync(second);

        // Before the dates: on the route (the request can be read) but not hers to decide.
        using (var early = await SignedInAsync(Deputy))
        {
            Assert.Contains("id=\"approvals-empty\"", (await early.GetAsync("/console/approvals")).Html, StringComparison.Ordinal);
            var (_, html) = await early.GetAsync($"/console/approvals/{firstApproval}");
            Assert.DoesNotContain("id=\"approve\"", html, StringComparison.Ordinal);
            var refused = await early.PostFormAsync($"/console/approvals/{firstApproval}", $"/console/approvals/{firstApproval}", ("decision", "approve"));
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("現在あなたは判断できません", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal("awaiting_approval", await StatusAsync(first));
        }

        App.Time.Advance(TimeSpan.FromDays(2));
        using (var inside = await SignedInAsync(Deputy))
        {
            var (_, queue) = await inside.GetAsync("/console/approvals");
            Assert.Contains("見積書の送付", queue, StringComparison.Ordinal);
            Assert.Contains("契約書の送付", queue, StringComparison.Ordinal);
            var page = $"/console/approvals/{firstApproval}";
            Assert.Contains("id=\"approve\"", (await inside.GetAsync(page)).Html, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Redirect, (await inside.PostFormAsync(page, page, ("decision", "approve"), ("comment", "代理で承認します"))).StatusCode);
            Assert.Equal("queued", await StatusAsync(first));
            var decision = (await (await Client.GetAsync($"/v1/approvals/{firstApproval}")).JsonAsync()).GetProperty("decisions").EnumerateArray().Single();
            Assert.Equal(("proxy", Boss, "console"), (decision.Str("actingAs"), decision.Str("approver"), decision.Str("channel")));
            Assert.Contains(Deputy, decision.Str("actor"), StringComparison.Ordinal);
        }

        // After the dates: the other request is Boss's alone again.
        App.Time.Advance(TimeSpan.FromDays(2));
        using (var late = await SignedInAsync(Deputy))
        {
            Assert.DoesNotContain("契約書の送付", (await late.GetAsync("/console/approvals")).Html, StringComparison.Ordinal);
            var page = $"/console/approvals/{secondApproval}";
            var refused = await late.PostFormAsync(page, page, ("decision", "approve"));
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("awaiting_approval", await StatusAsync(second));
        }
    }

    private async Task<string> SubmitAsync(string subject)
    {
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "hanako@example.co.jp"), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", subject)));
        return (await submitted.JsonAsync()).Str("id");
    }

    private async Task<string> StatusAsync(string id) => (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status");

    private async Task<string> ApprovalIdAsync(string messageId)
    {
        var list = await (await Client.GetAsync("/v1/approvals")).JsonAsync();
        return list.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("message").Str("id") == messageId).Str("id");
    }
}
