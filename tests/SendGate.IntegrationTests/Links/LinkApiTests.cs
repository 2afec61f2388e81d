using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MimeKit;
using SendGate.Core.Links;
using SendGate.IntegrationTests.Infrastructure;
using SmtpServer.Protocol;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Links;

/// <summary>
/// <c>/v1/messages/{id}/links</c> and how a link ends: stopped through the API, expired by the
/// sweep (its files out of the download store), with its cancelled message, with purged content.
/// </summary>
public sealed partial class LinkApiTests : AppWithSmtpTest
{
    private static readonly byte[] Quote = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("見積金額 1,234,000円\n", 200)));

    [GeneratedRegex(@"https?://[^\s]+/download/([A-Za-z0-9_-]{43})")]
    private static partial Regex LinkInText();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Rule("link", [new { type = "replaceAttachmentsWithLink", verifyRecipient = false, expiry = "P1D" }], new { type = "externalRecipients" }));
    }

    private async Task<string> SubmitAsync(bool withAttachment = true)
    {
        var fields = new List<(string, object?)> { ("to", new[] { "tanaka@partner.co.jp" }) };
        if (withAttachment)
        {
            fields.Add(("attachments", new[] { Attachment("御見積書.txt", Quote, "text/plain") }));
        }

        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(fields.ToArray()));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).Str("id");
    }

    private async Task<(string Id, string Token)> DeliveredAsync()
    {
        var id = await SubmitAsync();
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var mail = Smtp.Received.Last().Parse();
        return (id, LinkInText().Match(string.Join("\n", mail.BodyParts.OfType<TextPart>().Select(p => p.Text))).Groups[1].Value);
    }

    private async Task<JsonElement> LinkAsync(string id) =>
        Assert.Single((await (await Client.GetAsync($"/v1/messages/{id}/links")).JsonAsync()).GetProperty("items").EnumerateArray().ToList());

    private async Task<IReadOnlyList<string>> EventTypesAsync(string id) =>
        (await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items").EnumerateArray().Select(e => e.Str("type")).ToList();

    [Fact]
    public async Task Every_download_is_listed_with_its_file_address_time_ip_and_user_agent()
    {
        var (id, token) = await DeliveredAsync();
        using var browser = App.CreateClient();
        browser.DefaultRequestHeaders.UserAgent.ParseAdd("TestBrowser/1.0");
        Assert.Equal(Quote, await browser.GetByteArrayAsync($"/download/{token}/files/0"));

        var link = await LinkAsync(id);
        Assert.Equal("active", link.Str("status"));
        Assert.Equal(SendGateApp.Start.AddDays(1), link.GetProperty("expiresAt").GetDateTimeOffset());
        var file = Assert.Single(link.GetProperty("files").EnumerateArray().ToList());
        Assert.Equal("御見積書.txt", file.Str("fileName"));
        Assert.Equal(Quote.Length, file.GetProperty("size").GetInt64());
        Assert.Equal(1, file.GetProperty("downloads").GetInt32());
        var download = Assert.Single(link.GetProperty("downloads").EnumerateArray().ToList());
        Assert.Equal("御見積書.txt", download.Str("fileName"));
        Assert.Equal("TestBrowser/1.0", download.Str("userAgent"));
        Assert.Equal(SendGateApp.Start, download.GetProperty("at").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, download.GetProperty("address").ValueKind);

        var none = await SubmitAsync(withAttachment: false);
        Assert.Empty((await (await Client.GetAsync($"/v1/messages/{none}/links")).JsonAsync()).GetProperty("items").EnumerateArray());
        await (await Client.GetAsync("/v1/messages/msg_nothing/links")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Stopping_ends_the_link_at_once_a_second_stop_is_409_and_a_message_without_a_link_404()
    {
        var (id, token) = await DeliveredAsync();

        using var stop = await Client.PostAsJsonAsync($"/v1/messages/{id}/links/stop", new { reason = "誤送信のため" });
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        var stopped = await stop.JsonAsync();
        Assert.Equal("stopped", stopped.Str("status"));
        Assert.Equal("誤送信のため", stopped.Str("endedReason"));
        Assert.StartsWith("api-key:", stopped.Str("endedBy"), StringComparison.Ordinal);
        Assert.Contains("message.link_stopped", await EventTypesAsync(id));

        using var browser = App.CreateClient();
        using var page = await browser.GetAsync($"/download/{token}");
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
        Assert.Contains("このリンクは停止されました", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync($"/download/{token}/files/0")).StatusCode);

        var again = await (await Client.PostAsync($"/v1/messages/{id}/links/stop", null)).ProblemAsync(HttpStatusCode.Conflict, "link-ended");
        Assert.Equal("stopped", again.Str("linkStatus"));
        var none = await SubmitAsync(withAttachment: false);
        await (await Client.PostAsync($"/v1/messages/{none}/links/stop", null)).ProblemAsync(HttpStatusCode.NotFound, "link-not-found");

        // The next sweep takes the file out of the download store; the archive keeps the original.
        Assert.Equal(new LinkSweep(0, 1, 0), await App.Service<LinkSweeper>().SweepAsync());
        Assert.True((await LinkAsync(id)).GetProperty("files")[0].GetProperty("removed").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/v1/messages/{id}/mime")).StatusCode);
    }

    [Fact]
    public async Task Another_tenants_message_id_shows_and_stops_nothing()
    {
        var (id, _) = await DeliveredAsync();
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());

        await (await other.GetAsync($"/v1/messages/{id}/links")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.PostAsync($"/v1/messages/{id}/links/stop", null)).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal("active", (await LinkAsync(id)).Str("status"));
    }

    [Fact]
    public async Task An_expired_link_is_swept_its_files_leave_the_download_store_and_it_cannot_be_stopped()
    {
        var (id, token) = await DeliveredAsync();
        var sweeper = App.Service<LinkSweeper>();
        Assert.Equal(new LinkSweep(0, 0, 0), await sweeper.SweepAsync());

        App.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal("expired", (await LinkAsync(id)).Str("status"));
        await (await Client.PostAsync($"/v1/messages/{id}/links/stop", null)).ProblemAsync(HttpStatusCode.Conflict, "link-ended");

        Assert.Equal(new LinkSweep(1, 1, 0), await sweeper.SweepAsync());
        var link = await LinkAsync(id);
        Assert.Equal("expired", link.Str("status"));
        Assert.True(link.GetProperty("files")[0].GetProperty("removed").GetBoolean());
        Assert.Contains("message.link_expired", await EventTypesAsync(id));
        using var browser = App.CreateClient();
        Assert.Contains("有効期限が切れました", await (await browser.GetAsync($"/download/{token}")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Directory.EnumerateDirectories(Path.Combine(App.Folder, "downloads")).Single()));
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/v1/messages/{id}/mime")).StatusCode);
    }

    [Fact]
    public async Task A_cancelled_message_ends_its_link()
    {
        var id = await SubmitAsync();
        // The first attempt makes the link, then the relay defers the mail: it waits queued, cancellable.
        Smtp.DataRule = _ => new SmtpResponse((SmtpReplyCode)451, "4.3.0 try again later");
        Assert.Equal(1, (await App.DeliverDueAsync()).Deferred);
        Assert.Equal("active", (await LinkAsync(id)).Str("status"));

        (await Client.PostAsync($"/v1/messages/{id}/cancel", null)).EnsureSuccessStatusCode();

        var link = await LinkAsync(id);
        Assert.Equal("ended", link.Str("status"));
        Assert.Equal("the message was cancelled", link.Str("endedReason"));
        Assert.Equal(new LinkSweep(0, 1, 0), await App.Service<LinkSweeper>().SweepAsync());
    }

    [Fact]
    public async Task Purged_content_ends_the_link_and_a_forgotten_messages_folder_is_swept_as_an_orphan()
    {
        (await Client.PatchAsJsonAsync("/v1/tenant", new { retention = "P7D" })).EnsureSuccessStatusCode();
        var (kept, keptToken) = await DeliveredAsync();
        await Client.SetPolicyAsync(Rule("link", [new { type = "replaceAttachmentsWithLink", verifyRecipient = false, expiry = "P30D" }], new { type = "externalRecipients" }));
        var (_, _) = await DeliveredAsync();

        App.Time.Advance(TimeSpan.FromDays(8));
        Assert.Equal(2, await App.Service<SendGate.Core.Archive.RetentionService>().PurgeAsync());
        Assert.Equal("ended", (await LinkAsync(kept)).Str("status"));
        using var browser = App.CreateClient();
        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync($"/download/{keptToken}")).StatusCode);

        // A folder whose link was never recorded (or was forgotten with its message) goes once it is old enough.
        var tenantFolder = Directory.EnumerateDirectories(Path.Combine(App.Folder, "downloads")).Single();
        var orphan = Directory.CreateDirectory(Path.Combine(tenantFolder, "msg_orphan"));
        File.WriteAllText(Path.Combine(orphan.FullName, "0"), "left behind");
        Directory.SetLastWriteTimeUtc(orphan.FullName, App.Time.GetUtcNow().AddHours(-2).UtcDateTime);
        var sweep = await App.Service<LinkSweeper>().SweepAsync();
        Assert.Equal(1, sweep.OrphanFolders);
        Assert.False(Directory.Exists(orphan.FullName));
    }
}
