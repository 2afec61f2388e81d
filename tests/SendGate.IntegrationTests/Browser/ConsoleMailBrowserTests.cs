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
}
