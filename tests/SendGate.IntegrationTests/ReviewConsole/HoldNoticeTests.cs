using System.Net;
using System.Net.Http.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>The hold notice: a mail to the sender saying why her mail waits, whose link opens exactly that mail.</summary>
public sealed class HoldNoticeTests : AppWithSmtpTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private async Task<string> SubmitAsync(string subject, string from = "hanako@example.co.jp")
    {
        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", from), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", subject)));
        return (await submitted.JsonAsync()).Str("id");
    }

    [Fact]
    public async Task A_review_hold_mails_the_sender_a_notice_whose_link_opens_that_mail_only()
    {
        await Client.SetPolicyAsync(Rule("check", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
        var id = await SubmitAsync("見積書の送付");
        var other = await SubmitAsync("別の件");
        Assert.Equal(2, await App.DeliverNotificationsAsync());
        var notice = Smtp.Received.Select(r => r.Parse()).Single(m => m.Subject == "【保留中】見積書の送付");
        Assert.Equal("hanako@example.co.jp", notice.To.Mailboxes.Single().Address);
        Assert.Contains("rule check", notice.TextBody, StringComparison.Ordinal);
        Assert.Contains("管理画面で内容を確認するまで送信されません", notice.TextBody, StringComparison.Ordinal);
        // Why, in the sender's language: the condition's label and what made it true, not the engine's English.
        Assert.Contains("社外の宛先", notice.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("external recipients (threshold", notice.TextBody, StringComparison.Ordinal);

        using var browser = ConsoleClient.For(App);
        var link = ConsoleClient.LinkIn(notice.TextBody);
        var opened = await browser.PostFormAsync(link, link);
        Assert.Equal(HttpStatusCode.Redirect, opened.StatusCode);
        Assert.Equal($"/console/messages/{id}", opened.Headers.Location!.OriginalString);
        var (status, html) = await browser.GetAsync($"/console/messages/{id}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("見積書の送付", html, StringComparison.Ordinal);

        // Signed in for that mail only: her other mail and the lists stay closed.
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/console/messages/{other}")).Status);
        var (list, listHtml) = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Forbidden, list);
        Assert.Contains("このメールのみのサインインです", listHtml, StringComparison.Ordinal);

        // The link may be opened again while the mail waits.
        using var again = ConsoleClient.For(App);
        Assert.Equal(HttpStatusCode.Redirect, (await again.PostFormAsync(link, link)).StatusCode);
    }

    [Fact]
    public async Task A_tenant_in_english_gets_the_notice_and_its_reasons_in_english()
    {
        var patched = await Client.PatchAsJsonAsync("/v1/tenant", new { language = "en" });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        await Client.SetPolicyAsync(Rule("check", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
        await SubmitAsync("Quotation");
        Assert.Equal(1, await App.DeliverNotificationsAsync());

        var notice = Smtp.Received.Select(r => r.Parse()).Single(m => m.Subject == "[Held] Quotation");
        Assert.Contains("is held by SendGate and has not been sent", notice.TextBody, StringComparison.Ordinal);
        Assert.Contains("It is not sent until it has been checked on the console.", notice.TextBody, StringComparison.Ordinal);
        Assert.Contains("External recipients", notice.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("社外", notice.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_automatic_hold_sends_no_notice_unless_the_rule_asks_and_none_goes_outside()
    {
        await Client.SetPolicyAsync(Rule("wait", [new { type = "hold", duration = "PT5M" }], new { type = "externalRecipients" }));
        await SubmitAsync("自動送信");
        Assert.Equal(0, await App.DeliverNotificationsAsync());

        await Client.SetPolicyAsync(Rule("wait", [new { type = "hold", duration = "PT5M", notice = true }], new { type = "externalRecipients" }));
        await SubmitAsync("通知あり");
        await SubmitAsync("社外の差出人", from: "someone@outside.example");
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var notice = Smtp.Received.Single().Parse();
        Assert.Equal("【保留中】通知あり", notice.Subject);
        Assert.Contains("自動で送信されます", notice.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_approval_with_notice_tells_the_sender_whom_the_mail_waits_for()
    {
        await Client.SetDefaultApproversAsync("boss@example.co.jp");
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "PT4H", notice = true }], new { type = "externalRecipients" }));
        await SubmitAsync("承認が必要なメール");
        Assert.Equal(2, await App.DeliverNotificationsAsync());
        var notice = Smtp.Received.Select(r => r.Parse()).Single(m => m.To.Mailboxes.Single().Address == "hanako@example.co.jp");
        Assert.Equal("【保留中】承認が必要なメール", notice.Subject);
        Assert.Contains("承認待ちです（承認者：boss@example.co.jp", notice.TextBody, StringComparison.Ordinal);
    }
}
