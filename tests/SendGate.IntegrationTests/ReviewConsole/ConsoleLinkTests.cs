using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>
/// A mail whose attachments went out as a download link, on its console page: who downloaded what,
/// and stopping the link — by its sender or an admin, never by a reviewer who only looks.
/// </summary>
public sealed partial class ConsoleLinkTests : AppWithSmtpTest
{
    private const string Hanako = "hanako@example.co.jp";
    private const string Check = "check@example.co.jp";
    private const string Agent = "Mozilla/5.0 (SendGateTest; ja-JP)";
    private static readonly byte[] Quote = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("見積金額 1,234,000円\n", 100)));

    [GeneratedRegex(@"https?://[^\s]+/download/([A-Za-z0-9_-]{43})")]
    private static partial Regex LinkInText();

    [GeneratedRegex("name=\"__sendgate_af\" value=\"([^\"]+)\"")]
    private static partial Regex FormToken();

    [GeneratedRegex(@"^\s*(\d{6})\s*$", RegexOptions.Multiline)]
    private static partial Regex CodeInText();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Rule("link", [new { type = "replaceAttachmentsWithLink", maxDownloadsPerFile = 5 }], new { type = "externalRecipients" }));
    }

    private async Task<(string Id, string Token)> DeliveredAsync()
    {
        var before = Smtp.Received.Count;
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", Hanako), ("to", new[] { "tanaka@partner.co.jp" }),
            ("subject", "お見積りの件"), ("attachments", new[] { Attachment("御見積書.txt", Quote, "text/plain") })));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.JsonAsync()).Str("id");
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var mail = Smtp.Received.Skip(before).Single().Parse();
        return (id, LinkInText().Match(string.Join("\n", mail.BodyParts.OfType<TextPart>().Select(p => p.Text))).Groups[1].Value);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient browser, string path, HttpResponseMessage page, params (string, string)[] fields) =>
        await browser.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2))
            .Append(new("__sendgate_af", FormToken().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value))));

    /// <summary>The recipient asks for a code, gets it by mail, and downloads the file, as a browser with <see cref="Agent"/>.</summary>
    private async Task DownloadAsync(string token)
    {
        using var browser = App.CreateClient();
        browser.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", Agent);
        using var page = await browser.GetAsync($"/download/{token}");
        using var asked = await PostAsync(browser, $"/download/{token}/code", page, ("address", "tanaka@partner.co.jp"));
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        await App.DeliverNotificationsAsync();
        var code = CodeInText().Match(Smtp.Received.Last(r => r.To.Contains("tanaka@partner.co.jp")).Parse().TextBody ?? "").Groups[1].Value;
        using var verified = await PostAsync(browser, $"/download/{token}/verify", asked, ("code", code));
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.Equal(Quote, await browser.GetByteArrayAsync($"/download/{token}/files/0"));
    }

    private async Task<ConsoleClient> SignedInAsync(string address)
    {
        var browser = ConsoleClient.For(App);
        await browser.SignInByMailAsync(App, Smtp, address);
        return browser;
    }

    private static string Section(string html)
    {
        var start = html.IndexOf("id=\"download-link\"", StringComparison.Ordinal);
        Assert.True(start >= 0, html);
        return html[start..html.IndexOf("</section>", start, StringComparison.Ordinal)];
    }

    [Fact]
    public async Task The_sender_sees_each_download_and_stops_the_link_and_the_download_page_refuses_afterwards()
    {
        var (id, token) = await DeliveredAsync();
        using var sender = await SignedInAsync(Hanako);
        var page = $"/console/messages/{id}";
        var (_, before) = await sender.GetAsync(page);
        Assert.Contains("まだダウンロードされていません。", Section(before), StringComparison.Ordinal);

        await DownloadAsync(token);

        var (status, html) = await sender.GetAsync(page);
        Assert.Equal(HttpStatusCode.OK, status);
        var section = Section(html);
        Assert.Contains("ダウンロードリンク", section, StringComparison.Ordinal);
        Assert.Contains("<span class=\"status link-active\" id=\"link-status\">有効</span>", section, StringComparison.Ordinal);
        // The expiry in the tenant's time zone (Asia/Tokyo by default), not UTC.
        var expiresAt = (await (await Client.GetAsync($"/v1/messages/{id}/links")).JsonAsync()).GetProperty("items")[0].GetProperty("expiresAt").GetDateTimeOffset();
        var tokyo = TimeZoneInfo.ConvertTime(expiresAt, TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"));
        Assert.Contains($"有効期限: {tokyo.ToString("yyyy/MM/dd HH:mm", CultureInfo.InvariantCulture)}", section, StringComparison.Ordinal);
        Assert.Contains("御見積書.txt", section, StringComparison.Ordinal);
        Assert.Contains("ダウンロード 1 / 5 回", section, StringComparison.Ordinal);
        Assert.Contains("<td class=\"address\">tanaka@partner.co.jp</td>", section, StringComparison.Ordinal);
        Assert.Contains($"<td class=\"user-agent\">{Agent}</td>", section, StringComparison.Ordinal);
        // The download's time in Tokyo: the test clock starts at 09:00 UTC.
        Assert.Contains("<td>2026/11/28 18:00</td>", section, StringComparison.Ordinal);
        Assert.Contains("id=\"stop-link\"", section, StringComparison.Ordinal);

        var stopped = await sender.PostFormAsync(page, $"{page}?handler=StopLink");
        Assert.Equal(HttpStatusCode.Redirect, stopped.StatusCode);
        var (_, after) = await sender.GetAsync(page);
        Assert.Contains("リンクを停止しました。", after, StringComparison.Ordinal);
        Assert.Contains("id=\"link-status\">停止済み</span>", Section(after), StringComparison.Ordinal);
        Assert.Contains($"console:{Hanako}", Section(after), StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"stop-link\"", after, StringComparison.Ordinal);

        // The same stop the API does: the link's event, the API's view, and the download page refusing.
        var link = (await (await Client.GetAsync($"/v1/messages/{id}/links")).JsonAsync()).GetProperty("items")[0];
        Assert.Equal(("stopped", $"console:{Hanako}"), (link.Str("status"), link.Str("endedBy")));
        var events = (await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal($"console:{Hanako}", Assert.Single(events, e => e.Str("type") == "message.link_stopped").Str("actor"));
        var audit = (await (await Client.GetAsync("/v1/audit")).JsonAsync()).GetProperty("items").EnumerateArray().ToList();
        var entry = Assert.Single(audit, e => e.Str("action") == "console stop-link");
        Assert.Equal($"console:{Hanako}", entry.Str("actor"));
        Assert.StartsWith($"message={id}", entry.Str("resource"), StringComparison.Ordinal);
        using var recipient = App.CreateClient();
        Assert.Equal(HttpStatusCode.Gone, (await recipient.GetAsync($"/download/{token}")).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await recipient.GetAsync($"/download/{token}/files/0")).StatusCode);

        // Stopping again (a second tab left open) gives a readable page and records nothing more.
        var again = await sender.PostFormAsync("/console", $"{page}?handler=StopLink");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var text = await again.Content.ReadAsStringAsync();
        Assert.Contains("<h1 id=\"problem-title\">このリンクはすでに終了しています</h1>", text, StringComparison.Ordinal);
        Assert.Contains("このリンクは現在「停止済み」です", text, StringComparison.Ordinal);
        Assert.Single((await (await Client.GetAsync("/v1/audit")).JsonAsync()).GetProperty("items").EnumerateArray(), e => e.Str("action") == "console stop-link");
    }

    [Fact]
    public async Task A_reviewer_sees_the_downloads_without_the_button_and_cannot_stop_the_link_by_posting()
    {
        var (id, token) = await DeliveredAsync();
        await DownloadAsync(token);
        (await Client.PutAsJsonAsync($"/v1/console/people/{Check}", new { role = "reviewer" })).EnsureSuccessStatusCode();
        using var reviewer = await SignedInAsync(Check);
        var page = $"/console/messages/{id}";

        var (status, html) = await reviewer.GetAsync(page);
        Assert.Equal(HttpStatusCode.OK, status);
        var section = Section(html);
        Assert.Contains("<td class=\"address\">tanaka@partner.co.jp</td>", section, StringComparison.Ordinal);
        Assert.Contains("ダウンロード 1 / 5 回", section, StringComparison.Ordinal);
        Assert.DoesNotContain("stop-link", html, StringComparison.Ordinal);

        var refused = await reviewer.PostFormAsync(page, $"{page}?handler=StopLink");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("ダウンロードリンクを停止できるのは、メールの送信者と管理者だけです。", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("active", (await (await Client.GetAsync($"/v1/messages/{id}/links")).JsonAsync()).GetProperty("items")[0].Str("status"));
        using var recipient = App.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await recipient.GetAsync($"/download/{token}")).StatusCode);
    }

    [Fact]
    public async Task An_admin_stops_the_link_and_an_expired_link_shows_no_button()
    {
        var (id, _) = await DeliveredAsync();
        (await Client.PutAsJsonAsync("/v1/console/people/kanri@example.co.jp", new { role = "admin" })).EnsureSuccessStatusCode();
        using var admin = await SignedInAsync("kanri@example.co.jp");
        var page = $"/console/messages/{id}";
        Assert.Contains("id=\"stop-link\"", (await admin.GetAsync(page)).Html, StringComparison.Ordinal);

        // Past the link's expiry (the sweep has not run yet); signed in afresh, as the first session has ended by then.
        App.Time.Advance(TimeSpan.FromDays(8));
        using var later = await SignedInAsync("kanri@example.co.jp");
        var (_, html) = await later.GetAsync(page);
        Assert.Contains("id=\"link-status\">期限切れ</span>", Section(html), StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"stop-link\"", html, StringComparison.Ordinal);
        var late = await later.PostFormAsync(page, $"{page}?handler=StopLink");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("このリンクは現在「期限切れ」です", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
