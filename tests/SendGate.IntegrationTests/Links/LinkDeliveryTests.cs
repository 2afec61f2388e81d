using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MimeKit;
using SendGate.Core.Links;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Links;

/// <summary>
/// Attachments replaced by a download link, through the real API and the real SMTP server: what
/// the relay receives, and what the link in it serves.
/// </summary>
public sealed partial class LinkDeliveryTests : AppWithSmtpTest
{
    private static readonly byte[] Quote = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("見積金額 1,234,000円\n", 200)));
    private static readonly byte[] Drawing = Enumerable.Range(0, 50_000).Select(i => (byte)(i * 7)).ToArray();

    [GeneratedRegex(@"https?://[^\s]+/download/([A-Za-z0-9_-]{43})")]
    private static partial Regex LinkInText();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private Task LinkExternalAsync(object action) =>
        Client.SetPolicyAsync(Rule("link", [action], new { type = "externalRecipients" }, new { type = "attachmentCount", min = 1 }));

    private async Task<string> SubmitAsync(params string[] to)
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", to), ("subject", "お見積りの件"),
            ("attachments", new[] { Attachment("御見積書 2026.txt", Quote, "text/plain"), Attachment("図面 A-1.dat", Drawing, "application/octet-stream") })));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).Str("id");
    }

    private static string TokenIn(MimeMessage mail) => LinkInText().Match(string.Join("\n", mail.BodyParts.OfType<TextPart>().Select(p => p.Text))).Groups[1].Value;

    private async Task<IReadOnlyList<string>> EventTypesAsync(string id) =>
        (await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items").EnumerateArray().Select(e => e.Str("type")).ToList();

    [Fact]
    public async Task The_delivered_mail_has_no_attachment_but_a_link_that_serves_the_original_files()
    {
        await LinkExternalAsync(new { type = "replaceAttachmentsWithLink", verifyRecipient = false });
        var id = await SubmitAsync("田中 <tanaka@partner.co.jp>");

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var mail = Assert.Single(Smtp.Received).Parse();
        Assert.Empty(mail.Attachments);
        Assert.Equal("Body text", mail.TextBody);
        var notice = mail.BodyParts.OfType<TextPart>().Select(p => p.Text).Single(t => t.Contains("/download/", StringComparison.Ordinal));
        Assert.Contains("御見積書 2026.txt", notice, StringComparison.Ordinal);
        Assert.Contains("図面 A-1.dat（48.8 KB）", notice, StringComparison.Ordinal);
        Assert.Contains("有効期限：2026年", notice, StringComparison.Ordinal);
        var token = TokenIn(mail);
        Assert.Equal(43, token.Length);

        using var browser = App.CreateClient();
        using var page = await browser.GetAsync($"/download/{token}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("no-store", page.Headers.CacheControl!.ToString());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("御見積書 2026.txt", html, StringComparison.Ordinal);

        using var file = await browser.GetAsync($"/download/{token}/files/0");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal(Quote, await file.Content.ReadAsByteArrayAsync());
        var disposition = file.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal("御見積書 2026.txt", disposition.FileNameStar);
        Assert.Equal("no-store", file.Headers.CacheControl!.ToString());
        Assert.Equal("nosniff", file.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", file.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("sandbox", file.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(Drawing, await browser.GetByteArrayAsync($"/download/{token}/files/1"));

        // The archive keeps the message as it was submitted, attachments and all.
        var original = MimeMessage.Load(await Client.GetStreamAsync($"/v1/messages/{id}/mime"));
        Assert.Equal(2, original.Attachments.Count());
        Assert.Contains("message.link_created", await EventTypesAsync(id));
        Assert.Contains("message.link_downloaded", await EventTypesAsync(id));
    }

    [Fact]
    public async Task The_token_is_stored_only_as_its_hash_once_the_mail_is_sent()
    {
        await LinkExternalAsync(new { type = "replaceAttachmentsWithLink", verifyRecipient = false });
        await SubmitAsync("tanaka@partner.co.jp");
        await App.DeliverDueAsync();
        var token = TokenIn(Assert.Single(Smtp.Received).Parse());

        await using var connection = await App.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync();
        var row = await connection.QuerySingleAsync<(string Hash, byte[]? Ciphertext)>("SELECT token_hash, token_ciphertext FROM download_links");
        Assert.Equal(SendGate.Core.LinkTokens.Hash(token), row.Hash);
        Assert.Null(row.Ciphertext);
        var dump = string.Join("\n", await connection.QueryAsync<string>("SELECT COALESCE(data, '') || COALESCE(reason, '') FROM message_events"));
        Assert.DoesNotContain(token, dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Internal_recipients_exempt_get_the_attachments_and_external_ones_the_link()
    {
        await Client.SetPolicyAsync(Rule("link", [new { type = "replaceAttachmentsWithLink", verifyRecipient = false, exemptInternalRecipients = true }]));
        await SubmitAsync("tanaka@partner.co.jp", "suzuki@example.co.jp");

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal(2, Smtp.Received.Count);
        var external = Smtp.Received.Single(m => m.To.Contains("tanaka@partner.co.jp")).Parse();
        var internalCopy = Smtp.Received.Single(m => m.To.Contains("suzuki@example.co.jp")).Parse();
        Assert.Empty(external.Attachments);
        Assert.NotEmpty(TokenIn(external));
        Assert.Equal(2, internalCopy.Attachments.Count());
        Assert.Empty(TokenIn(internalCopy));
    }

    [Fact]
    public async Task The_download_limit_and_the_expiry_are_enforced_with_a_readable_page()
    {
        await LinkExternalAsync(new { type = "replaceAttachmentsWithLink", verifyRecipient = false, maxDownloadsPerFile = 1, expiry = "PT2H" });
        await SubmitAsync("tanaka@partner.co.jp");
        await App.DeliverDueAsync();
        var token = TokenIn(Assert.Single(Smtp.Received).Parse());
        using var browser = App.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/download/{token}/files/0")).StatusCode);
        // A resumed download (a later range) is the same download going on, not another.
        using (var resume = new HttpRequestMessage(HttpMethod.Get, $"/download/{token}/files/0"))
        {
            resume.Headers.Range = new RangeHeaderValue(100, null);
            using var resumed = await browser.SendAsync(resume);
            Assert.Equal(HttpStatusCode.PartialContent, resumed.StatusCode);
            Assert.Equal(Quote[100..], await resumed.Content.ReadAsByteArrayAsync());
        }

        using var again = await browser.GetAsync($"/download/{token}/files/0");
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Contains("ダウンロード回数の上限", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/download/{token}/files/1")).StatusCode);

        App.Time.Advance(TimeSpan.FromHours(2));
        using var expired = await browser.GetAsync($"/download/{token}");
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
        Assert.Contains("有効期限が切れました", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync($"/download/{token}/files/1")).StatusCode);
    }

    [Fact]
    public async Task HEAD_answers_the_headers_of_GET_without_a_body_and_counts_no_download()
    {
        await LinkExternalAsync(new { type = "replaceAttachmentsWithLink", verifyRecipient = false, maxDownloadsPerFile = 1 });
        var id = await SubmitAsync("tanaka@partner.co.jp");
        await App.DeliverDueAsync();
        var token = TokenIn(Assert.Single(Smtp.Received).Parse());
        using var browser = App.CreateClient();

        using var page = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/download/{token}"));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await page.Content.ReadAsByteArrayAsync());
        Assert.Equal("no-referrer", Assert.Single(page.Headers.GetValues("Referrer-Policy")));
        for (var i = 0; i < 2; i++)
        {
            using var head = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/download/{token}/files/0"));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
            Assert.Equal(Quote.Length, head.Content.Headers.ContentLength);
            Assert.Equal("text/plain", head.Content.Headers.ContentType?.MediaType);
            Assert.Equal("attachment", head.Content.Headers.ContentDisposition?.DispositionType);
            Assert.Contains("filename*=UTF-8''", Assert.Single(head.Content.Headers.GetValues("Content-Disposition")), StringComparison.Ordinal);
            Assert.Equal("bytes", Assert.Single(head.Headers.AcceptRanges));
            Assert.Equal("nosniff", Assert.Single(head.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(head.Headers.GetValues("Referrer-Policy")));
            Assert.Contains("sandbox", Assert.Single(head.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        }

        Assert.DoesNotContain("message.link_downloaded", await EventTypesAsync(id));
        // The one allowed download is still there for the recipient.
        Assert.Equal(Quote, await browser.GetByteArrayAsync($"/download/{token}/files/0"));
        Assert.Contains("message.link_downloaded", await EventTypesAsync(id));
    }

    [Fact]
    public async Task The_sender_is_told_once_of_each_files_first_download()
    {
        await LinkExternalAsync(new { type = "replaceAttachmentsWithLink", verifyRecipient = false, notifySenderOnFirstDownload = true });
        await SubmitAsync("tanaka@partner.co.jp");
        await App.DeliverDueAsync();
        var token = TokenIn(Assert.Single(Smtp.Received).Parse());
        using var browser = App.CreateClient();

        await browser.GetByteArrayAsync($"/download/{token}/files/0");
        await browser.GetByteArrayAsync($"/download/{token}/files/0");
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var notice = Smtp.Received.Last();
        Assert.Equal(["sender@example.co.jp"], notice.To);
        var text = notice.Parse().TextBody;
        Assert.Contains("御見積書 2026.txt", text, StringComparison.Ordinal);
        Assert.Contains("初めてダウンロードされました", text, StringComparison.Ordinal);
        Assert.Contains("2026年11月28日 18:00", text, StringComparison.Ordinal);

        await browser.GetByteArrayAsync($"/download/{token}/files/1");
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        Assert.Contains("図面 A-1.dat", Smtp.Received.Last().Parse().TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_token_gets_a_readable_page_and_serves_nothing()
    {
        using var browser = App.CreateClient();
        using var unknown = await browser.GetAsync($"/download/{SendGate.Core.LinkTokens.Create()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("This link does not exist", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/download/not-a-token/files/0")).StatusCode);
    }

    [Fact]
    public async Task When_the_download_store_cannot_be_written_nothing_is_sent_until_it_can()
    {
        var store = new FailingStore();
        await using var app = new SendGateApp(Smtp, services: s =>
        {
            s.RemoveAll<IDownloadStore>();
            s.AddSingleton<IDownloadStore>(sp => store.Wrap(ActivatorUtilities.CreateInstance<FolderDownloadStore>(sp)));
        });
        using var admin = app.Admin();
        await admin.SetInternalDomainsAsync("example.co.jp");
        await admin.SetPolicyAsync(Rule("link", [new { type = "replaceAttachmentsWithLink", verifyRecipient = false }], new { type = "externalRecipients" }));
        var response = await admin.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" }), ("attachments", new[] { Attachment("a.txt", Quote, "text/plain") })));
        var id = (await response.JsonAsync()).Str("id");

        store.Failing = true;
        Assert.Equal(1, (await app.DeliverDueAsync()).Deferred);
        Assert.Empty(Smtp.Received);
        var events = (await (await admin.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items");
        Assert.Contains("download store could not be written", events.EnumerateArray().Last().Str("reason"), StringComparison.Ordinal);

        store.Failing = false;
        app.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, (await app.DeliverDueAsync()).Sent);
        var mail = Assert.Single(Smtp.Received).Parse();
        Assert.Empty(mail.Attachments);
        using var browser = app.CreateClient();
        Assert.Equal(Quote, await browser.GetByteArrayAsync($"/download/{TokenIn(mail)}/files/0"));
    }

    [Fact]
    public async Task Retention_without_metadata_forgets_a_linked_message_with_its_link()
    {
        (await Client.PatchAsJsonAsync("/v1/tenant", new { retention = "P7D", keepMetadata = false })).EnsureSuccessStatusCode();
        await LinkExternalAsync(new { type = "replaceAttachmentsWithLink", verifyRecipient = false });
        var id = await SubmitAsync("tanaka@partner.co.jp");
        await App.DeliverDueAsync();
        var token = TokenIn(Assert.Single(Smtp.Received).Parse());
        using var browser = App.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/download/{token}/files/0")).StatusCode);

        App.Time.Advance(TimeSpan.FromDays(8));
        Assert.Equal(1, await App.Service<SendGate.Core.Archive.RetentionService>().PurgeAsync());

        await (await Client.GetAsync($"/v1/messages/{id}")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync($"/download/{token}")).StatusCode);
    }

    /// <summary>A download store whose disk can be made to fail.</summary>
    private sealed class FailingStore
    {
        public volatile bool Failing;

        public IDownloadStore Wrap(IDownloadStore inner) => new Store(this, inner);

        private sealed class Store(FailingStore owner, IDownloadStore inner) : IDownloadStore
        {
            public Task<long> WriteAsync(string tenantId, string key, Func<Stream, Task> write, CancellationToken cancellationToken = default) =>
                owner.Failing ? throw new IOException("No space left on device") : inner.WriteAsync(tenantId, key, write, cancellationToken);

            public Stream? Open(string tenantId, string key) => inner.Open(tenantId, key);

            public Task DeleteAsync(string tenantId, string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(tenantId, key, cancellationToken);

            public IEnumerable<(string TenantId, string MessageId)> ListFolders(DateTimeOffset writtenBefore) => inner.ListFolders(writtenBefore);

            public Task DeleteFolderAsync(string tenantId, string messageId, CancellationToken cancellationToken = default) =>
                inner.DeleteFolderAsync(tenantId, messageId, cancellationToken);
        }
    }
}
