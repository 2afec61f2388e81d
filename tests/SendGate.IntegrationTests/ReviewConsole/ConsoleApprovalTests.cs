using System.Net;
using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>Approvers decide on the console, one request or several, through the same service as the API and the links.</summary>
public sealed class ConsoleApprovalTests : AppWithSmtpTest
{
    private const string Boss = "boss@example.co.jp";
    private const string Deputy = "deputy@example.co.jp";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetDefaultApproversAsync(Boss, Deputy);
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "PT4H" }], new { type = "externalRecipients" }));
    }

    private async Task<string> SubmitAsync(string subject)
    {
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "hanako@example.co.jp"), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", subject)));
        return (await submitted.JsonAsync()).Str("id");
    }

    private async Task<string> StatusAsync(string id) => (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status");

    private async Task<ConsoleClient> SignedInAsync(string address)
    {
        var browser = ConsoleClient.For(App);
        await browser.SignInByMailAsync(App, Smtp, address);
        return browser;
    }

    private async Task<string> ApprovalIdAsync(string messageId)
    {
        var list = await (await Client.GetAsync("/v1/approvals")).JsonAsync();
        return list.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("message").Str("id") == messageId).Str("id");
    }

    [Fact]
    public async Task An_approver_approves_several_requests_at_once_and_the_mail_goes_on()
    {
        var first = await SubmitAsync("見積書の送付");
        var second = await SubmitAsync("契約書の送付");
        using var boss = await SignedInAsync(Boss);
        var (_, queue) = await boss.GetAsync("/console/approvals");
        Assert.Contains("見積書の送付", queue, StringComparison.Ordinal);
        Assert.Contains("契約書の送付", queue, StringComparison.Ordinal);

        var decided = await boss.PostFormAsync("/console/approvals", "/console/approvals",
            ("ids", await ApprovalIdAsync(first)), ("ids", await ApprovalIdAsync(second)), ("decision", "approve"), ("comment", "確認しました"));
        Assert.Equal(HttpStatusCode.Redirect, decided.StatusCode);
        Assert.Equal("queued", await StatusAsync(first));
        Assert.Equal("queued", await StatusAsync(second));
        var approval = await (await Client.GetAsync($"/v1/approvals/{await ApprovedIdAsync(first)}")).JsonAsync();
        var decision = approval.GetProperty("decisions").EnumerateArray().Single();
        Assert.Equal("console", decision.Str("channel"));
        Assert.Equal(Boss, decision.Str("approver"));
        Assert.Equal("確認しました", decision.Str("comment"));
        Assert.Contains("id=\"approvals-empty\"", (await boss.GetAsync("/console/approvals")).Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_decided_by_someone_else_says_who_and_when_and_changes_nothing()
    {
        var id = await SubmitAsync("至急のご連絡");
        var approvalId = await ApprovalIdAsync(id);
        using var boss = await SignedInAsync(Boss);
        using var deputy = await SignedInAsync(Deputy);
        var page = $"/console/approvals/{approvalId}";
        var (_, html) = await deputy.GetAsync(page);
        Assert.Contains("tanaka@partner.co.jp", html, StringComparison.Ordinal);
        Assert.Contains("id=\"reject\"", html, StringComparison.Ordinal);

        // Decided at 09:30 UTC: the page says 18:30, in the tenant's time zone (Asia/Tokyo).
        App.Time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(HttpStatusCode.Redirect, (await boss.PostFormAsync(page, page, ("decision", "reject"), ("comment", "宛先が違います"))).StatusCode);
        Assert.Equal("rejected", await StatusAsync(id));
        App.Time.Advance(TimeSpan.FromMinutes(5));
        var late = await deputy.PostFormAsync(page, page, ("decision", "approve"));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        var text = await late.Content.ReadAsStringAsync();
        Assert.Contains("<h1 id=\"problem-title\">判断済みです</h1>", text, StringComparison.Ordinal);
        Assert.Contains($"何も変更されていません。この依頼は 2026/11/28 18:30 に {Boss} により「却下」となりました。", text, StringComparison.Ordinal);
        Assert.Equal("rejected", await StatusAsync(id));

        // Several at once: the queue's notice says the same of the one it could not decide.
        var bulk = await deputy.PostFormAsync("/console/approvals", "/console/approvals", ("ids", approvalId), ("decision", "approve"));
        Assert.Equal(HttpStatusCode.Redirect, bulk.StatusCode);
        var (_, queue) = await deputy.GetAsync("/console/approvals");
        Assert.Contains($"0件を判断しました。 1件は判断できませんでした：何も変更されていません。この依頼は 2026/11/28 18:30 に {Boss} により「却下」となりました。", queue, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Redirect, (await deputy.PostFormAsync(page, "/console/language", ("language", "en"), ("returnUrl", page))).StatusCode);
        var english = await (await deputy.PostFormAsync(page, page, ("decision", "approve"))).Content.ReadAsStringAsync();
        Assert.Contains("<h1 id=\"problem-title\">Already decided</h1>", english, StringComparison.Ordinal);
        Assert.Contains($"Nothing was changed: this request was already decided (Rejected) by {Boss} at 2026-11-28 18:30.", english, StringComparison.Ordinal);
        var approval = await (await Client.GetAsync($"/v1/approvals/{approvalId}")).JsonAsync();
        Assert.Equal(Boss, Assert.Single(approval.GetProperty("decisions").EnumerateArray()).Str("approver"));
        Assert.Equal("rejected", await StatusAsync(id));
    }

    [Fact]
    public async Task A_sender_cannot_decide_her_own_mail_and_a_stranger_sees_no_request()
    {
        var id = await SubmitAsync("自分のメール");
        var approvalId = await ApprovalIdAsync(id);
        using var stranger = await SignedInAsync("taro@example.co.jp");
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/console/approvals/{approvalId}")).Status);
        Assert.DoesNotContain("自分のメール", (await stranger.GetAsync("/console/approvals")).Html, StringComparison.Ordinal);

        // The sender sees her mail waiting, and may cancel it, but not approve it.
        using var sender = await SignedInAsync("hanako@example.co.jp");
        var (_, mine) = await sender.GetAsync($"/console/messages/{id}");
        Assert.Contains("承認待ち", mine, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"send-now\"", mine, StringComparison.Ordinal);
        Assert.Contains("id=\"cancel\"", mine, StringComparison.Ordinal);
    }

    private async Task<string> ApprovedIdAsync(string messageId)
    {
        var list = await (await Client.GetAsync("/v1/approvals?status=approved")).JsonAsync();
        return list.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("message").Str("id") == messageId).Str("id");
    }
}
