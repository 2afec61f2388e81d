using System.Net;
using System.Net.Http.Json;
using MimeKit;
using SendGate.Core.Archive;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Archive;

/// <summary>Retention forgets old content except under legal hold; a search exports as an mbox an independent parser reads back.</summary>
public sealed class RetentionAndExportTests : AppTest
{
    private async Task<string> SentAsync(params (string, object?)[] fields)
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(fields))).JsonAsync()).Str("id");
        await App.DeliverDueAsync();
        return id;
    }

    private Task<int> PurgeAsync() => App.Service<RetentionService>().PurgeAsync();

    [Fact]
    public async Task Old_content_is_purged_the_record_kept_and_legal_hold_respected()
    {
        (await Client.PatchAsJsonAsync("/v1/tenant", new { retention = "P30D" })).EnsureSuccessStatusCode();
        var old = await SentAsync(("subject", "old"));
        var held = await SentAsync(("subject", "on hold"));
        var pending = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", SendGateApp.Start.AddDays(60).ToString("O"))))).JsonAsync()).Str("id");
        var hold = await (await Client.PutAsJsonAsync($"/v1/messages/{held}/legal-hold", new { reason = "訴訟対応" })).JsonAsync();
        Assert.True(hold.GetProperty("legalHold").GetBoolean());

        App.Time.Advance(TimeSpan.FromDays(29));
        Assert.Equal(0, await PurgeAsync());
        App.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await PurgeAsync());

        await (await Client.GetAsync($"/v1/messages/{old}/mime")).ProblemAsync(HttpStatusCode.Gone, "content-purged");
        var details = await (await Client.GetAsync($"/v1/messages/{old}")).JsonAsync();
        Assert.Equal("sent", details.Str("status"));
        Assert.Equal(App.Time.GetUtcNow(), details.GetProperty("contentPurgedAt").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/v1/messages/{held}/mime")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/v1/messages/{pending}/mime")).StatusCode);
        var events = (await (await Client.GetAsync($"/v1/messages/{old}/events")).JsonAsync()).GetProperty("items").EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Equal("message.content_purged", events[^1]);
        var audit = (await (await Client.GetAsync("/v1/audit?action=PURGE")).JsonAsync()).GetProperty("items")[0];
        Assert.Equal("system:retention", audit.Str("actor"));

        // Lifting the hold lets retention apply again.
        await Client.DeleteAsync($"/v1/messages/{held}/legal-hold");
        Assert.Equal(1, await PurgeAsync());
    }

    [Fact]
    public async Task Without_keeping_metadata_the_whole_record_goes()
    {
        (await Client.PatchAsJsonAsync("/v1/tenant", new { retention = "P7D", keepMetadata = false })).EnsureSuccessStatusCode();
        var id = await SentAsync();
        App.Time.Advance(TimeSpan.FromDays(8));
        Assert.Equal(1, await PurgeAsync());
        await (await Client.GetAsync($"/v1/messages/{id}")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await Client.PatchAsJsonAsync("/v1/tenant", new { retention = "PT1H" })).ProblemAsync(HttpStatusCode.BadRequest, "invalid-duration", "retention");
    }

    [Fact]
    public async Task A_search_exports_as_an_mbox_that_reads_back()
    {
        await SentAsync(("subject", "見積書の送付"), ("text", "From the sales desk:\nお世話になっております。"));
        await SentAsync(("subject", "請求書"), ("to", new[] { "billing@partner.co.jp" }));
        await SentAsync(("subject", "議事録"));
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        await other.PostAsJsonAsync("/v1/messages", Mail(("subject", "other tenant")));

        var response = await Client.GetAsync("/v1/messages/export");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/mbox", response.Content.Headers.ContentType?.MediaType);
        var messages = Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(["議事録", "請求書", "見積書の送付"], messages.Select(m => m.Subject));
        Assert.Contains(">From the sales desk:", messages[2].TextBody, StringComparison.Ordinal);
        Assert.Contains("お世話になっております。", messages[2].TextBody, StringComparison.Ordinal);

        var filtered = Parse(await Client.GetByteArrayAsync("/v1/messages/export?to=billing@partner.co.jp"));
        Assert.Equal("請求書", Assert.Single(filtered).Subject);
        Assert.Equal(2, (await (await Client.GetAsync("/v1/audit?action=export")).JsonAsync()).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_large_message_exports_line_by_line_with_every_separator_like_line_quoted()
    {
        // ~2.6 MB of 7-bit lines, many reading as mbox separators, across many read buffers.
        var body = new System.Text.StringBuilder();
        for (var i = 0; i < 60_000; i++)
        {
            body.Append(i % 3 == 0 ? "From the archive, line " : i % 3 == 1 ? ">From quoted already " : "plain text line ").Append(i).Append("\r\n");
        }

        var raw = System.Text.Encoding.ASCII.GetBytes(
            "From: sender@example.co.jp\r\nTo: someone@example.com\r\nSubject: large\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + body);
        using var content = new ByteArrayContent(raw);
        content.Headers.ContentType = new("message/rfc822");
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsync("/v1/messages", content)).StatusCode);

        var exported = Assert.Single(Parse(await Client.GetByteArrayAsync("/v1/messages/export")));
        var lines = exported.TextBody!.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(60_000, lines.Count);
        Assert.Equal(20_000, lines.Count(l => l.StartsWith(">From the archive, line ", StringComparison.Ordinal)));
        Assert.Equal(20_000, lines.Count(l => l.StartsWith(">>From quoted already ", StringComparison.Ordinal)));
        Assert.Equal("plain text line 59999", lines[^1]);
    }

    internal static List<MimeMessage> Parse(byte[] mbox)
    {
        using var stream = new MemoryStream(mbox);
        var parser = new MimeParser(stream, MimeFormat.Mbox);
        var messages = new List<MimeMessage>();
        while (!parser.IsEndOfStream)
        {
            messages.Add(parser.ParseMessage());
        }

        return messages;
    }
}
