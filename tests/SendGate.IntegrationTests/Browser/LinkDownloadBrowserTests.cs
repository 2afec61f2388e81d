using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using SendGate.IntegrationTests.Policies;

namespace SendGate.IntegrationTests.Browser;

/// <summary>
/// A recipient opens the link from the notice mail in Chromium, asks for the code, enters the one
/// from the second mail and downloads the file: the same bytes under the same Japanese name.
/// </summary>
public sealed partial class LinkDownloadBrowserTests(Chromium chromium) : BrowserTest(chromium)
{
    private static readonly byte[] Pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n" + string.Concat(Enumerable.Repeat("0123456789abcdef", 4096)) + "\n%%EOF\n");

    [GeneratedRegex(@"https?://[^\s/]+(/download/[A-Za-z0-9_-]{43})")]
    private static partial Regex LinkPath();

    [GeneratedRegex(@"^\s*(\d{6})\s*$", RegexOptions.Multiline)]
    private static partial Regex CodeInText();

    [BrowserFact]
    public async Task The_code_from_the_second_mail_opens_the_link_from_the_first_and_the_file_downloads_intact()
    {
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(PolicyApi.Rule("link", [new { type = "replaceAttachmentsWithLink" }], new { type = "externalRecipients" }));
        await SubmitAsync(("to", new[] { "田中 様 <tanaka@partner.co.jp>" }), ("subject", "お見積書送付のご案内"),
            ("attachments", new[] { new { filename = "御見積書_2026-118.pdf", contentType = "application/pdf", content = Convert.ToBase64String(Pdf) } }));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var notice = Smtp.Received.Last().Parse();
        Assert.Empty(notice.Attachments);
        var path = LinkPath().Match(string.Join("\n", notice.BodyParts.OfType<TextPart>().Select(p => p.Text))).Groups[1].Value;

        var page = await OpenAsync(Phone, isMobile: true);
        await GoAsync(page, path);
        await page.FillAsync("input[name=address]", "tanaka@partner.co.jp");
        await Screenshot(page, "download-address");
        await page.ClickAsync("form[action$='/code'] button");
        await page.Locator("input[name=code]").WaitForAsync();
        await App.DeliverNotificationsAsync();
        var code = CodeInText().Match(Smtp.Received.Last(r => r.To.Contains("tanaka@partner.co.jp")).Parse().TextBody ?? "").Groups[1].Value;
        await page.FillAsync("input[name=code]", code);
        await Screenshot(page, "download-code");
        await page.ClickAsync("form[action$='/verify'] button");
        await page.Locator("a[download]").WaitForAsync();
        await Screenshot(page, "download-files");

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("a[download]"));
        Assert.Equal("御見積書_2026-118.pdf", download.SuggestedFilename);
        var saved = Path.Combine(App.Folder, "downloaded.pdf");
        await download.SaveAsAsync(saved);
        Assert.Equal(Pdf, await File.ReadAllBytesAsync(saved));
    }

    private static async Task Screenshot(Microsoft.Playwright.IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
        }
    }
}
