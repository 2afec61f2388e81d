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
/// The PPAP-compatible mode (<c>passwordMail</c>) through the real host and SMTP server: the notice
/// goes out, then the password in a separate mail, and the page opens only with code and password.
/// </summary>
public sealed partial class LinkPasswordTests : AppWithSmtpTest
{
    private static readonly byte[] Quote = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("見積金額 1,234,000円\n", 100)));

    [GeneratedRegex(@"https?://[^\s]+/download/([A-Za-z0-9_-]{43})")]
    private static partial Regex LinkInText();

    [GeneratedRegex("name=\"__sendgate_af\" value=\"([^\"]+)\"")]
    private static partial Regex FormToken();

    [GeneratedRegex(@"^\s*(\d{6})\s*$", RegexOptions.Multiline)]
    private static partial Regex CodeInText();

    [GeneratedRegex(@"(?:パスワード：|Password:\s+)(\S+)")]
    private static partial Regex PasswordInText();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Rule("link", [new { type = "replaceAttachmentsWithLink", passwordMail = true }], new { type = "externalRecipients" }));
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient browser, string path, HttpResponseMessage page, params (string, string)[] fields) =>
        await browser.PostAsync(path, new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2))
            .Append(new("__sendgate_af", FormToken().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value))));

    [Fact]
    public async Task The_notice_goes_out_then_the_password_mail_and_the_page_opens_only_with_code_and_password()
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" }), ("subject", "お見積りの件"),
            ("attachments", new[] { Attachment("御見積書.txt", Quote, "text/plain") })));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.JsonAsync()).Str("id");

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var notice = Assert.Single(Smtp.Received).Parse();
        Assert.Empty(notice.Attachments);
        var noticeText = string.Join("\n", notice.BodyParts.OfType<TextPart>().Select(p => p.Text));
        Assert.Contains("パスワードは別途メールでお知らせします。", noticeText, StringComparison.Ordinal);
        var token = LinkInText().Match(noticeText).Groups[1].Value;

        // The password follows in its own mail, to the notice's recipients, threaded under it; stored only encrypted and hashed.
        Assert.Equal(1, await App.DeliverPasswordMailsAsync());
        var passwordMail = Smtp.Received.Last().Parse();
        Assert.Equal(["tanaka@partner.co.jp"], passwordMail.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("【パスワードのお知らせ】お見積りの件", passwordMail.Subject);
        Assert.Contains("ダウンロードページ", passwordMail.TextBody, StringComparison.Ordinal);
        Assert.Equal(notice.MessageId, passwordMail.InReplyTo);
        var password = PasswordInText().Match(passwordMail.TextBody ?? "").Groups[1].Value;
        Assert.Equal(12, password.Length);
        await using (var connection = await App.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync())
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM password_mails WHERE password_ciphertext IS NOT NULL"));
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM password_mails WHERE password_hash = @password", new { password }));
        }

        using var browser = App.CreateClient();
        using var page = await browser.GetAsync($"/download/{token}");
        using var asked = await PostAsync(browser, $"/download/{token}/code", page, ("address", "tanaka@partner.co.jp"));
        var form = await asked.Content.ReadAsStringAsync();
        Assert.Contains("name=\"password\"", form, StringComparison.Ordinal);
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var code = CodeInText().Match(Smtp.Received.Last().Parse().TextBody ?? "").Groups[1].Value;

        // The right code without the password, then with a wrong one: each costs a try, and nothing opens.
        using var without = await PostAsync(browser, $"/download/{token}/verify", asked, ("code", code));
        Assert.Equal(HttpStatusCode.BadRequest, without.StatusCode);
        Assert.Contains("確認コードまたはパスワードが違います。あと 4 回入力できます。", await without.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var wrong = await PostAsync(browser, $"/download/{token}/verify", without, ("code", code), ("password", password + "x"));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("あと 3 回入力できます。", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync($"/download/{token}/files/0")).StatusCode);

        using var opened = await PostAsync(browser, $"/download/{token}/verify", wrong, ("code", code), ("password", password));
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Contains("御見積書.txt", await opened.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(Quote, await browser.GetByteArrayAsync($"/download/{token}/files/0"));
        var types = (await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items").EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Contains("message.password_sent", types);
    }

    [Fact]
    public async Task Without_recipient_verification_the_page_asks_for_the_password_alone_and_a_get_uses_nothing()
    {
        await Client.SetPolicyAsync(Rule("link", [new { type = "replaceAttachmentsWithLink", passwordMail = true, verifyRecipient = false }], new { type = "externalRecipients" }));
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" }), ("subject", "お見積りの件"),
            ("attachments", new[] { Attachment("御見積書.txt", Quote, "text/plain") })));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var noticeText = string.Join("\n", Assert.Single(Smtp.Received).Parse().BodyParts.OfType<TextPart>().Select(p => p.Text));
        Assert.Contains("パスワードは別途メールでお知らせします。", noticeText, StringComparison.Ordinal);
        Assert.DoesNotContain("確認コード", noticeText, StringComparison.Ordinal);
        var token = LinkInText().Match(noticeText).Groups[1].Value;
        Assert.Equal(1, await App.DeliverPasswordMailsAsync());
        var password = PasswordInText().Match(Smtp.Received.Last().Parse().TextBody ?? "").Groups[1].Value;
        Assert.Equal(12, password.Length);

        using var browser = App.CreateClient();
        using var page = await browser.GetAsync($"/download/{token}");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("action=\"/download/" + token + "/password\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"code\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("御見積書.txt", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync($"/download/{token}/files/0")).StatusCode);
        await using (var connection = await App.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync())
        {
            // Fetching the page (a scanner) made no entry and used no try.
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM download_link_codes"));
        }

        // A forged form (no anti-forgery token) is refused before the password is looked at.
        using var forged = await browser.PostAsync($"/download/{token}/password", new FormUrlEncodedContent([new("password", password)]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        using var wrong = await PostAsync(browser, $"/download/{token}/password", page, ("password", password + "x"));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("パスワードが違います。あと 4 回入力できます。", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var wrongAgain = await PostAsync(browser, $"/download/{token}/password", wrong, ("password", ""));
        Assert.Contains("あと 3 回入力できます。", await wrongAgain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync($"/download/{token}/files/0")).StatusCode);

        using var opened = await PostAsync(browser, $"/download/{token}/password", wrongAgain, ("password", password));
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Contains("御見積書.txt", await opened.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(Quote, await browser.GetByteArrayAsync($"/download/{token}/files/0"));
        await using (var connection = await App.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync())
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM download_link_codes"));
        }

        // Another browser without the session is asked again.
        using var stranger = App.CreateClient();
        Assert.Contains("/password\"", await (await stranger.GetAsync($"/download/{token}")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
