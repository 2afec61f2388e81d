using Microsoft.Playwright;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Browser;

/// <summary>A sender re-checks her held mail in Chromium and sends or cancels it; no one else sees it.</summary>
public sealed class ConsoleMailBrowserTests(Chromium chromium) : BrowserTest(chromium)
{
    private const string Hanako = "hanako@example.co.jp";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
    }

    private Task<string> SubmitHeldAsync(string subject = "お見積りの件", string from = Hanako) =>
        SubmitAsync(("from", from), ("to", new[] { "tanaka@partner.co.jp", "suzuki@example.co.jp" }), ("cc", new[] { "sato@client.example" }), ("subject", subject));

    [BrowserFact]
    public async Task A_sender_signs_in_by_mail_ticks_each_external_recipient_and_sends_the_held_mail_to_the_smtp_server()
    {
        var id = await SubmitHeldAsync();
        var page = await OpenAsync();
        await SignInByMailAsync(page, Hanako);

        // My held mail lists it; its card opens the re-check page.
        await page.ClickAsync($"[data-message='{id}'] a.title");
        await page.WaitForURLAsync($"**/console/messages/{id}");
        Assert.Equal("お見積りの件", await page.Locator("#subject").InnerTextAsync());
        var recipients = await page.Locator("#recipients").InnerTextAsync();
        Assert.Contains("tanaka@partner.co.jp", recipients, StringComparison.Ordinal);
        Assert.Contains("suzuki@example.co.jp", recipients, StringComparison.Ordinal);

        // Each external recipient has a box to tick; the internal one has none.
        Assert.Equal(2, await page.Locator("#send-form input[name=confirm]").CountAsync());

        // Chromium itself refuses the form until every box is ticked.
        await page.CheckAsync("#send-form input[value='tanaka@partner.co.jp']");
        await page.ClickAsync("#send-now");
        Assert.Equal($"{BaseUrl}/console/messages/{id}", page.Url);
        Assert.Equal("held", await StatusAsync(id));

        await page.CheckAsync("#send-form input[value='sato@client.example']");
        await page.ClickAsync("#send-now");
        await page.Locator("#notice").WaitForAsync();
        Assert.Equal("queued", await StatusAsync(id));

        var before = Smtp.Received.Count;
        await App.DeliverDueAsync();
        var delivered = Smtp.Received.Skip(before).ToList();
        Assert.Contains(delivered, r => r.To.Contains("tanaka@partner.co.jp"));
        Assert.Contains(delivered, r => r.To.Contains("sato@client.example"));
    }

    [BrowserFact]
    public async Task The_leave_time_counts_down_and_a_cancel_with_a_reason_stops_the_mail()
    {
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", mode = "autoRelease", duration = "PT30M" }], new { type = "externalRecipients" }));
        var id = await SubmitHeldAsync();
        var page = await OpenAsync();
        await SignInByMailAsync(page, Hanako);
        await GoAsync(page, $"/console/messages/{id}");

        // The page's script turns the time it leaves on its own into a running countdown.
        var countdown = page.Locator("#leaves .countdown");
        await Microsoft.Playwright.Assertions.Expect(countdown).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\(00:(29|30):\d\d\)$"));

        await page.FillAsync("#reason", "宛先を間違えました");
        await page.ClickAsync("#cancel");
        await page.Locator("#notice").WaitForAsync();
        Assert.Equal("cancelled", await StatusAsync(id));
        Assert.Equal(0, await page.Locator("#send-now").CountAsync());
        await App.DeliverDueAsync();
        Assert.DoesNotContain(Smtp.Received, r => r.To.Contains("tanaka@partner.co.jp"));
    }

    [BrowserFact]
    public async Task An_html_mail_is_shown_sanitised_fetching_nothing_from_outside_and_running_none_of_its_script()
    {
        var id = await SubmitAsync(("from", Hanako), ("to", new[] { "tanaka@partner.co.jp" }), ("subject", "HTMLメール"), ("text", null),
            ("html", """
                <p id="greeting">ご確認ください。</p>
                <img src="http://127.0.0.2:8081/pixel.png">
                <script>document.title = "script ran";</script>
                <p onclick="alert(1)" style="background:url(http://127.0.0.2:8081/bg.png)">カード 4111 1111 1111 1111</p>
                <iframe src="http://127.0.0.2:8081/frame"></iframe>
                <link rel="stylesheet" href="http://127.0.0.2:8081/style.css">
                <a href="https://partner.example/offer">ご案内</a>
                """));
        var page = await OpenAsync();
        await SignInByMailAsync(page, Hanako);
        var requested = new List<string>();
        page.Request += (_, request) => requested.Add(request.Url);
        await GoAsync(page, $"/console/messages/{id}");
        await page.WaitForLoadStateAsync(Microsoft.Playwright.LoadState.NetworkIdle);

        var body = page.Locator("#body");
        var text = await body.InnerTextAsync();
        Assert.Contains("ご確認ください。", text, StringComparison.Ordinal);
        Assert.DoesNotContain("4111 1111 1111 1111", text, StringComparison.Ordinal);
        Assert.Equal(0, await body.Locator("img, script, iframe, link, [onclick], [style]").CountAsync());
        Assert.Equal("noopener noreferrer nofollow", await body.Locator("a").GetAttributeAsync("rel"));
        Assert.NotEqual("script ran", await page.TitleAsync());
        Assert.All(requested, url => Assert.StartsWith(BaseUrl + "/", url, StringComparison.Ordinal));
    }

    [BrowserFact]
    public async Task A_form_that_lost_its_token_or_comes_from_another_site_changes_nothing()
    {
        var id = await SubmitHeldAsync();
        var page = await OpenAsync();
        await SignInByMailAsync(page, Hanako);
        await GoAsync(page, $"/console/messages/{id}");

        // The console's own form without its anti-forgery token: a readable refusal.
        await page.EvaluateAsync("() => document.querySelectorAll('#send-form input[name=__sendgate_af]').forEach(e => e.remove())");
        await page.CheckAsync("#send-form input[value='tanaka@partner.co.jp']");
        await page.CheckAsync("#send-form input[value='sato@client.example']");
        var refused = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#send-now"), r => r.Request.Method == "POST");
        Assert.Equal(400, refused.Status);
        Assert.Contains("フォームの有効期限が切れました", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("held", await StatusAsync(id));

        // A page elsewhere that posts the same form in the person's browser: neither cookie goes with it.
        await page.RouteAsync("http://forged.example/**", route => route.FulfillAsync(new Microsoft.Playwright.RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = $"""
                <form method="post" action="{BaseUrl}/console/messages/{id}?handler=Send">
                <input name="confirm" value="tanaka@partner.co.jp"><input name="confirm" value="sato@client.example"></form>
                <script>document.forms[0].submit();</script>
                """,
        }));
        await page.GotoAsync("http://forged.example/");
        await page.WaitForURLAsync(BaseUrl + "/**");
        await page.WaitForLoadStateAsync();
        Assert.Equal("held", await StatusAsync(id));
        await App.DeliverDueAsync();
        Assert.DoesNotContain(Smtp.Received, r => r.To.Contains("tanaka@partner.co.jp"));
    }

    [BrowserFact]
    public async Task The_hold_notice_link_opens_that_mail_and_nothing_else()
    {
        var id = await SubmitHeldAsync("見積書の送付");
        var other = await SubmitHeldAsync("別の件");
        await App.DeliverNotificationsAsync();
        var notice = Smtp.Received.Select(r => r.Parse()).Single(m => m.Subject == "【保留中】見積書の送付");

        var page = await OpenAsync();
        await OpenLinkAsync(page, notice.TextBody);
        await page.WaitForURLAsync($"{BaseUrl}/console/messages/{id}");
        Assert.Equal("見積書の送付", await page.Locator("#subject").InnerTextAsync());
        // No lists to go to, and the other mail stays closed.
        Assert.Equal(0, await page.Locator("#nav-held").CountAsync());
        Assert.Equal(404, (await GoAsync(page, $"/console/messages/{other}"))!.Status);
        Assert.Equal(403, (await GoAsync(page, "/console"))!.Status);

        // What it opened it may act on: the sender sends it from there.
        await GoAsync(page, $"/console/messages/{id}");
        await page.CheckAsync("#send-form input[value='tanaka@partner.co.jp']");
        await page.CheckAsync("#send-form input[value='sato@client.example']");
        await page.ClickAsync("#send-now");
        await page.Locator("#notice").WaitForAsync();
        Assert.Equal("queued", await StatusAsync(id));
        Assert.Equal("held", await StatusAsync(other));
    }

    [BrowserFact]
    public async Task A_sender_re_checks_and_sends_with_the_keyboard_alone()
    {
        var id = await SubmitHeldAsync();
        var page = await OpenAsync();
        await SignInByMailAsync(page, Hanako);
        await GoAsync(page, $"/console/messages/{id}");

        // From the first box: Space ticks it, Tab goes on to the next one and then to Send now.
        await page.FocusAsync("#confirm-1");
        await page.Keyboard.PressAsync("Space");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("confirm-2", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.PressAsync("Space");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("send-now", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#notice").WaitForAsync();
        Assert.Equal("queued", await StatusAsync(id));
    }

    [BrowserFact]
    public async Task A_sender_signed_in_by_mail_never_sees_another_sender_s_held_mail_in_the_list_or_by_its_address()
    {
        var mine = await SubmitHeldAsync("自分の見積り");
        var theirs = await SubmitHeldAsync("太郎の極秘案件", from: "taro@example.co.jp");
        var page = await OpenAsync();
        await SignInByMailAsync(page, Hanako);

        await GoAsync(page, "/console");
        Assert.Equal(1, await page.Locator($"[data-message='{mine}']").CountAsync());
        Assert.Equal(0, await page.Locator($"[data-message='{theirs}']").CountAsync());
        Assert.DoesNotContain("太郎の極秘案件", await page.ContentAsync(), StringComparison.Ordinal);

        // By its address, and by its attachment's: the readable page for a mail that is not hers, nothing of the mail on it.
        foreach (var path in new[] { $"/console/messages/{theirs}", $"/console/messages/{theirs}?handler=Attachment&index=0" })
        {
            var response = await GoAsync(page, path);
            Assert.Equal(404, response!.Status);
            Assert.Equal("表示できるメールではないか、存在しません。", await page.Locator("#problem-text").InnerTextAsync());
            var html = await page.ContentAsync();
            Assert.DoesNotContain("太郎の極秘案件", html, StringComparison.Ordinal);
            Assert.DoesNotContain("tanaka@partner.co.jp", html, StringComparison.Ordinal);
            Assert.DoesNotContain("taro@example.co.jp", html, StringComparison.Ordinal);
        }

        // Nor on the reviewers' pages, which refuse her.
        var review = await GoAsync(page, "/console/review");
        Assert.Equal(403, review!.Status);
        Assert.DoesNotContain("太郎の極秘案件", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal("held", await StatusAsync(theirs));
    }
}
