using System.Net.Http.Json;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Browser;

/// <summary>Approvers decide in Chromium: several requests at once, or one after re-checking it.</summary>
public sealed class ConsoleApprovalBrowserTests(Chromium chromium) : BrowserTest(chromium)
{
    private const string Boss = "boss@example.co.jp";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetDefaultApproversAsync(Boss);
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "PT4H" }], new { type = "externalRecipients" }));
    }

    private Task<string> SubmitForApprovalAsync(string subject) =>
        SubmitAsync(("from", "hanako@example.co.jp"), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", subject));

    [BrowserFact]
    public async Task An_approver_selects_all_requests_approves_them_and_the_mail_reaches_the_smtp_server()
    {
        var first = await SubmitForApprovalAsync("見積書の送付");
        var second = await SubmitForApprovalAsync("契約書の送付");
        var page = await OpenAsync();
        await SignInByMailAsync(page, Boss);
        await page.ClickAsync("#nav-approvals");
        Assert.Equal(2, await page.Locator("#approval-list input[name=ids]").CountAsync());

        // The page's script ticks every request at once.
        await page.CheckAsync("#select-all");
        Assert.Equal(2, await page.Locator("#approval-list input[name=ids]:checked").CountAsync());
        await page.FillAsync("#comment", "確認しました");
        await page.ClickAsync("#approve-selected");
        await page.Locator("#notice").WaitForAsync();
        Assert.Equal("queued", await StatusAsync(first));
        Assert.Equal("queued", await StatusAsync(second));

        await App.DeliverDueAsync();
        Assert.Equal(2, Smtp.Received.Count(r => r.To.Contains("tanaka@partner.co.jp")));
        Assert.Equal(1, await page.Locator("#approvals-empty").CountAsync());
    }

    [BrowserFact]
    public async Task An_approver_re_checks_one_request_and_rejects_it_with_a_comment()
    {
        var id = await SubmitForApprovalAsync("見積書の送付");
        var page = await OpenAsync();
        await SignInByMailAsync(page, Boss);
        await page.ClickAsync("#nav-approvals");
        await page.ClickAsync("#approval-list a:has-text('見積書の送付')");
        Assert.Equal("見積書の送付", await page.Locator("#subject").InnerTextAsync());
        Assert.Contains("tanaka@partner.co.jp", await page.Locator("#recipients").InnerTextAsync(), StringComparison.Ordinal);

        await page.FillAsync("#comment", "宛先が違います");
        await page.ClickAsync("#reject");
        await page.Locator("#notice").WaitForAsync();
        Assert.Equal("rejected", await StatusAsync(id));
        Assert.Contains("boss@example.co.jp", await page.Locator("#decisions").InnerTextAsync(), StringComparison.Ordinal);

        await App.DeliverDueAsync();
        Assert.DoesNotContain(Smtp.Received, r => r.To.Contains("tanaka@partner.co.jp"));
    }
}
