using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using MimeKit;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Links;

/// <summary>
/// The download page with recipient verification, through the real host and SMTP server: the
/// code a recipient asks for arrives by mail and opens the files; scanners, strangers, wrong codes,
/// old codes, forged forms and other links' sessions open nothing.
/// </summary>
public sealed partial class LinkVerificationTests : AppWithSmtpTest
{
    private static readonly byte[] Quote = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("見積金額 1,234,000円\n", 200)));

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

    /// <summary>Submits and delivers a mail to tanaka (To) and sato (Bcc); the token of its link.</summary>
    private async Task<(string Id, string Token)> DeliveredAsync(HttpClient? admin = null, byte[]? content = null)
    {
        admin ??= Client;
        var before = Smtp.Received.Count;
        var response = await admin.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" }), ("bcc", new[] { "sato@partner.co.jp" }),
            ("subject", "お見積りの件"), ("attachments", new[] { Attachment("御見積書.txt", content ?? Quote, "text/plain") })));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.JsonAsync()).Str("id");
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var mail = Smtp.Received.Skip(before).Single().Parse();
        Assert.Empty(mail.Attachments);
        return (id, LinkInText().Match(string.Join("\n", mail.BodyParts.OfType<TextPart>().Select(p => p.Text))).Groups[1].Value);
    }

    private static async Task<string> FormTokenAsync(HttpResponseMessage page) => FormToken().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;

    private static async Task<HttpResponseMessage> PostAsync(HttpClient browser, string path, string formToken, params (string, string)[] fields) =>
        await browser.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2))
            .Append(new("__sendgate_af", formToken))));

    /// <summary>Asks for a code for <paramref name="address"/> as a browser would; the page it lands on.</summary>
    private static async Task<HttpResponseMessage> AskForCodeAsync(HttpClient browser, string token, string address)
    {
        using var page = await browser.GetAsync($"/download/{token}");
        return await PostAsync(browser, $"/download/{token}/code", await FormTokenAsync(page), ("address", address));
    }

    private async Task<string> CodeMailedToAsync(string address)
    {
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var mail = Smtp.Received.Last();
        Assert.Equal([address], mail.To);
        return CodeInText().Match(mail.Parse().TextBody ?? "").Groups[1].Value;
    }

    private async Task<int> CountAsync(string sql)
    {
        await using var connection = await App.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync();
        return (int)await connection.ExecuteScalarAsync<long>(sql);
    }

    [Fact]
    public async Task The_code_mailed_to_a_recipient_opens_the_files_and_the_download_names_the_address()
    {
        var (id, token) = await DeliveredAsync();
        using var browser = App.CreateClient();

        using var asked = await AskForCodeAsync(browser, token, "Sato@Partner.co.jp");
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        var page = await asked.Content.ReadAsStringAsync();
        Assert.Contains("確認コードの入力", page, StringComparison.Ordinal);
        var code = await CodeMailedToAsync("sato@partner.co.jp");
        Assert.Matches("^[0-9]{6}$", code);

        using var verified = await PostAsync(browser, $"/download/{token}/verify", await FormTokenAsync(asked), ("code", code));
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.Contains("御見積書.txt", await verified.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(Quote, await browser.GetByteArrayAsync($"/download/{token}/files/0"));

        await using var connection = await App.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync();
        Assert.Equal("sato@partner.co.jp", await connection.ExecuteScalarAsync<string>("SELECT address FROM download_link_downloads"));
        // Neither the code nor the challenge is stored as it is.
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM download_link_codes WHERE code_hash = '{code}'"));
        var types = (await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items").EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Contains("message.link_code_sent", types);
        Assert.Contains("message.link_downloaded", types);
    }

    [Fact]
    public async Task A_scanner_fetching_the_link_and_its_files_consumes_nothing()
    {
        var (_, token) = await DeliveredAsync();
        using var scanner = App.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            using var page = await scanner.GetAsync($"/download/{token}");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("宛先のご本人確認", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var file = await scanner.GetAsync($"/download/{token}/files/0");
            Assert.Equal(HttpStatusCode.Forbidden, file.StatusCode);
            using var head = await scanner.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/download/{token}/files/0"));
            Assert.NotEqual(HttpStatusCode.OK, head.StatusCode);
        }

        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM download_link_codes"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM notifications"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM download_link_downloads"));
        Assert.Equal(0, await CountAsync("SELECT SUM(downloads) FROM download_link_files"));
    }

    [Fact]
    public async Task An_address_that_is_not_a_recipient_gets_the_same_page_and_no_mail()
    {
        var (_, token) = await DeliveredAsync();
        using var browser = App.CreateClient();
        var mails = Smtp.Received.Count;

        using var asked = await AskForCodeAsync(browser, token, "stranger@partner.co.jp");
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        Assert.Contains("stranger@partner.co.jp がメールの宛先であれば", await asked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await App.DeliverNotificationsAsync());
        Assert.Equal(mails, Smtp.Received.Count);

        using var guessed = await PostAsync(browser, $"/download/{token}/verify", await FormTokenAsync(asked), ("code", "000000"));
        Assert.Equal(HttpStatusCode.BadRequest, guessed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync($"/download/{token}/files/0")).StatusCode);
    }

    [Fact]
    public async Task Wrong_codes_say_how_many_tries_remain_and_then_a_new_code_is_needed()
    {
        var (_, token) = await DeliveredAsync();
        using var browser = App.CreateClient();
        using var asked = await AskForCodeAsync(browser, token, "tanaka@partner.co.jp");
        var code = await CodeMailedToAsync("tanaka@partner.co.jp");
        var wrong = code == "111111" ? "222222" : "111111";
        var formToken = await FormTokenAsync(asked);

        for (var left = 4; left >= 1; left--)
        {
            using var refused = await PostAsync(browser, $"/download/{token}/verify", formToken, ("code", wrong));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains($"あと {left} 回入力できます", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var last = await PostAsync(browser, $"/download/{token}/verify", formToken, ("code", wrong));
        Assert.Equal(HttpStatusCode.TooManyRequests, last.StatusCode);
        Assert.Contains("新しい確認コードを要求してください", await last.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Even the right code no longer works.
        using var late = await PostAsync(browser, $"/download/{token}/verify", formToken, ("code", code));
        Assert.Equal(HttpStatusCode.TooManyRequests, late.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync($"/download/{token}/files/0")).StatusCode);
    }

    [Fact]
    public async Task A_code_expires_after_its_lifetime()
    {
        var (_, token) = await DeliveredAsync();
        using var browser = App.CreateClient();
        using var asked = await AskForCodeAsync(browser, token, "tanaka@partner.co.jp");
        var code = await CodeMailedToAsync("tanaka@partner.co.jp");

        App.Time.Advance(TimeSpan.FromMinutes(10));
        using var expired = await PostAsync(browser, $"/download/{token}/verify", await FormTokenAsync(asked), ("code", code));
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
        Assert.Contains("確認コードの有効期限が切れました", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_form_without_its_anti_forgery_token_mails_nothing()
    {
        var (_, token) = await DeliveredAsync();
        using var browser = App.CreateClient();

        using var forged = await browser.PostAsync($"/download/{token}/code",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["address"] = "tanaka@partner.co.jp" }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("フォームの有効期限が切れました", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM download_link_codes"));
    }

    [Fact]
    public async Task A_session_opens_only_its_own_link_and_another_tenants_token_only_its_own_file()
    {
        var (_, ours) = await DeliveredAsync();
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        await other.SetInternalDomainsAsync("other.example.jp");
        await other.SetPolicyAsync(Rule("link", [new { type = "replaceAttachmentsWithLink" }]));
        var theirFile = Encoding.UTF8.GetBytes("other tenant's file");
        var (_, theirs) = await DeliveredAsync(other, theirFile);

        // A browser that keeps its cookies by hand, to present one link's session to another.
        using var browser = App.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });
        var cookies = new Dictionary<string, string>();
        async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            if (cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Key}={c.Value}")));
            }
            var response = await browser.SendAsync(request);
            foreach (var set in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
            {
                var pair = set.Split(';')[0].Split('=', 2);
                cookies[pair[0]] = pair[1];
            }

            return response;
        }

        HttpContent Form(string formToken, params (string, string)[] fields) =>
            new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2)).Append(new("__sendgate_af", formToken)));

        using var page = await SendAsync(HttpMethod.Get, $"/download/{theirs}");
        var formToken = await FormTokenAsync(page);
        using var asked = await SendAsync(HttpMethod.Post, $"/download/{theirs}/code", Form(formToken, ("address", "tanaka@partner.co.jp")));
        Assert.Equal(HttpStatusCode.SeeOther, asked.StatusCode);
        var code = await CodeMailedToAsync("tanaka@partner.co.jp");
        using var verified = await SendAsync(HttpMethod.Post, $"/download/{theirs}/verify", Form(formToken, ("code", code)));
        Assert.Equal(HttpStatusCode.SeeOther, verified.StatusCode);
        using var theirDownload = await SendAsync(HttpMethod.Get, $"/download/{theirs}/files/0");
        Assert.Equal(theirFile, await theirDownload.Content.ReadAsByteArrayAsync());

        // The same session presented to our tenant's link opens nothing there.
        using var ourDownload = await SendAsync(HttpMethod.Get, $"/download/{ours}/files/0");
        Assert.Equal(HttpStatusCode.Forbidden, ourDownload.StatusCode);
        using var ourPage = await SendAsync(HttpMethod.Get, $"/download/{ours}");
        Assert.DoesNotContain("御見積書.txt", await ourPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
