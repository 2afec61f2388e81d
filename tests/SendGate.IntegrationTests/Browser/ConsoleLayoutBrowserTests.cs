using System.Net.Http.Json;
using Microsoft.Playwright;
using SendGate.IntegrationTests.Policies;

namespace SendGate.IntegrationTests.Browser;

/// <summary>
/// Every console page (a sender's, an approver's, an admin's, the sign-in and a refusal) fits a
/// phone and a desktop, in Japanese and in English (switched per person on the page), and every
/// control has a label. With SENDGATE_TEST_SCREENSHOTS set, the pages are
/// saved there (docs/screenshots holds the ones the README shows).
/// </summary>
public sealed class ConsoleLayoutBrowserTests(Chromium chromium) : BrowserTest(chromium)
{
    private const string Hanako = "hanako@example.co.jp";
    private const string Boss = "buchou@example.co.jp";
    private const string Admin = "kanri@example.co.jp";

    // Controls a screen reader could not name: no label, no aria-label, a button without text.
    private const string UnlabelledControls = """
        () => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
            .filter(e => e.tagName === 'BUTTON'
                ? !e.innerText.trim() && !e.getAttribute('aria-label')
                : !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
            .map(e => e.outerHTML)
        """;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetDefaultApproversAsync(Boss);
        var policy = await Client.PutAsJsonAsync("/v1/policies", new
        {
            rules = new object[]
            {
                new
                {
                    id = "contract-approval", name = "契約書は上長の承認が必要",
                    conditions = new { all = new object[] { new { type = "externalRecipients" }, new { type = "subject", contains = new[] { "契約" } } } },
                    actions = new object[] { new { type = "requireApproval", timeout = "PT4H" } },
                },
                new
                {
                    id = "external-review", name = "社外宛メールは送信前に再確認",
                    conditions = new { all = new object[] { new { type = "externalRecipients" } } },
                    actions = new object[] { new { type = "hold", mode = "autoRelease", duration = "PT10M" }, new { type = "encryptAttachments" } },
                },
            },
        });
        Assert.True(policy.IsSuccessStatusCode, await policy.Content.ReadAsStringAsync());
        var role = await Client.PutAsJsonAsync($"/v1/console/people/{Admin}", new { role = "admin" });
        Assert.True(role.IsSuccessStatusCode, await role.Content.ReadAsStringAsync());
    }

    private static readonly (string Name, string Value)[] Languages = [("ja", "日本語"), ("en", "English")];

    [BrowserFact]
    public async Task Every_page_fits_a_phone_and_a_desktop_in_japanese_and_english_with_every_control_labelled()
    {
        var quote = await SubmitAsync(("from", "山田 花子 <hanako@example.co.jp>"), ("to", new[] { "田中 一郎 様 <tanaka@partner.co.jp>", "鈴木 <suzuki@example.co.jp>" }),
            ("cc", new[] { "sato@partner-co.jp" }), ("subject", "お見積書送付のご案内"),
            ("text", "株式会社パートナー\n田中 一郎 様\n\nいつもお世話になっております。山田です。\nご依頼いただいたお見積書を添付いたします。\nご査収のほどよろしくお願いいたします。\n"),
            ("attachments", new[] { new { filename = "御見積書_2026-118.pdf", contentType = "application/pdf", content = Convert.ToBase64String("%PDF-1.4\n%\n"u8.ToArray()) } }));
        await SubmitAsync(("from", Hanako), ("to", new[] { "info@client.example" }), ("subject", "打ち合わせ日程の件"));
        await SubmitAsync(("from", Hanako), ("to", new[] { "legal@partner.co.jp" }), ("subject", "業務委託契約書（案）"));
        var approvalId = (await (await Client.GetAsync("/v1/approvals")).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>())
            .GetProperty("items")[0].GetProperty("id").GetString();

        var sender = await OpenAsync();
        await SignInByMailAsync(sender, Hanako);
        var approver = await OpenAsync();
        await SignInByMailAsync(approver, Boss);
        var admin = await OpenAsync();
        await SignInByMailAsync(admin, Admin);
        var signIn = await OpenAsync();

        var pages = new (IPage Page, string Path, string Name, int Status)[]
        {
            (signIn, "/console/signin", "signin", 200),
            (sender, "/console", "held", 200),
            (sender, $"/console/messages/{quote}", "message", 200),
            (sender, "/console/messages/msg_not_hers", "not-found", 404),
            (approver, "/console/approvals", "approvals", 200),
            (approver, $"/console/approvals/{approvalId}", "approval", 200),
            (admin, "/console/review", "review", 200),
            (admin, "/console/archive", "archive", 200),
            (admin, "/console/audit", "audit", 200),
            (admin, "/console/people", "people", 200),
        };
        foreach (var (language, label) in Languages)
        {
            foreach (var page in new[] { sender, approver, admin, signIn })
            {
                await page.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
                await GoAsync(page, "/console/signin");
                await page.SelectOptionAsync("#language", language);
                await page.ClickAsync("#language-apply");
                await page.WaitForLoadStateAsync();
            }

            foreach (var (page, path, name, status) in pages)
            {
                foreach (var (viewport, device) in new[] { (Phone, "phone"), (Desktop, "desktop") })
                {
                    await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
                    var response = await GoAsync(page, path);
                    Assert.Equal(status, response!.Status);
                    Assert.Equal(language, await page.Locator("html").GetAttributeAsync("lang"));
                    if (status == 200)
                    {
                        // A refusal is a plain page of its own, in the same language, without the header.
                        Assert.Equal(label, await page.Locator("#language option:checked").InnerTextAsync());
                    }

                    var fits = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth");
                    Assert.True(fits, $"{path} scrolls sideways on a {device} in {language}");
                    Assert.Empty(await page.EvaluateAsync<string[]>(UnlabelledControls));
                    if (name is "held" or "message")
                    {
                        // What the policy decided, in the person's language, with the rule's own name.
                        var main = await page.Locator("main").InnerTextAsync();
                        Assert.Contains(language == "ja" ? "10分保留し、取り消されなければ送信されます: ルール「社外宛メールは送信前に再確認」" : "Held 10 minute(s), then sent unless cancelled (rule “社外宛メールは送信前に再確認”)", main, StringComparison.Ordinal);
                    }

                    await ScreenshotAsync(page, $"console-{name}-{language}-{device}");
                }
            }
        }

        // English is what the approver chose: the pages say so in English from then on.
        await GoAsync(approver, "/console/approvals");
        Assert.Contains("Approve", await approver.Locator("#approve-selected").InnerTextAsync(), StringComparison.Ordinal);
    }
}
