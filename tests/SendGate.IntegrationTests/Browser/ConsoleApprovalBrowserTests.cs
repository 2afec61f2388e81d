using System.Net.Http.Json;
using Microsoft.Playwright;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
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
    public async Task An_approver_selects_two_requests_and_approves_them_with_a_comment_by_keyboard_alone()
    {
        var first = await SubmitForApprovalAsync("見積書の送付");
        var second = await SubmitForApprovalAsync("契約書の送付");
        await SubmitForApprovalAsync("請求書の送付");
        var page = await OpenAsync();
        await SignInByMailAsync(page, Boss);
        await GoAsync(page, "/console/approvals");
        var boxes = page.Locator("#approval-list input[name=ids]");
        Assert.Equal(3, await boxes.CountAsync());
        var byId = new Dictionary<string, string>();
        foreach (var box in await boxes.AllAsync())
        {
            var value = (await box.GetAttributeAsync("value"))!;
            var subject = await page.Locator($"[data-approval='{value}'] a.title").InnerTextAsync();
            byId[subject] = value;
        }

        // Tab, Space, Enter only, down the list (newest first): each stop shows where the focus is.
        await TabToAsync(page, $"#pick-{byId["契約書の送付"]}");
        await page.Keyboard.PressAsync("Space");
        await TabToAsync(page, $"#pick-{byId["見積書の送付"]}");
        await page.Keyboard.PressAsync("Space");
        Assert.Equal(2, await page.Locator("#approval-list input[name=ids]:checked").CountAsync());
        Assert.False(await page.Locator($"#pick-{byId["請求書の送付"]}").IsCheckedAsync());
        // Each box is named by its mail, not only "select".
        Assert.True(await page.GetByRole(AriaRole.Checkbox, new() { Name = "「契約書の送付」を選択", Exact = true }).IsCheckedAsync());
        await TabToAsync(page, "#comment");
        await page.Keyboard.TypeAsync("確認しました");
        await TabToAsync(page, "#approve-selected");
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#notice").WaitForAsync();
        Assert.Contains("2件を判断しました。", await page.Locator("#notice").InnerTextAsync(), StringComparison.Ordinal);

        Assert.Equal("queued", await StatusAsync(first));
        Assert.Equal("queued", await StatusAsync(second));
        var approved = await (await Client.GetAsync("/v1/approvals?status=approved")).JsonAsync();
        Assert.Equal(2, approved.GetProperty("items").GetArrayLength());
        Assert.Equal(1, await page.Locator("#approval-list input[name=ids]").CountAsync());
        await ScreenshotAsync(page, "console-approvals-keyboard");
    }

    /// <summary>Presses Tab until <paramref name="selector"/> has the focus, checking that every stop on the way shows it.</summary>
    private static async Task TabToAsync(IPage page, string selector)
    {
        var stops = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focus = await page.EvaluateAsync<System.Text.Json.JsonElement>("""
                () => {
                  const el = document.activeElement;
                  const style = getComputedStyle(el);
                  return { id: el.id || el.tagName, visible: el.matches(':focus-visible'), outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 };
                }
                """);
            stops.Add(focus.Str("id"));
            Assert.True(focus.GetProperty("visible").GetBoolean() && focus.GetProperty("outline").GetBoolean(), $"the focus on {focus.Str("id")} is not visible (Tab {i + 1} towards {selector}; {string.Join(" | ", stops)})");
            if (await page.EvaluateAsync<bool>("s => document.activeElement.matches(s)", selector))
            {
                return;
            }
        }

        Assert.Fail($"{selector} cannot be reached with Tab");
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
