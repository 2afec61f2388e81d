using System.Net;
using System.Net.Http.Json;
using MimeKit;
using SendGate.Core.Archive;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Archive;

/// <summary>The archive keeps exactly what the relay received, beside the original as submitted.</summary>
public sealed class SentCopyTests : AppWithSmtpTest
{
    [Fact]
    public async Task The_sent_copy_is_what_the_relay_received_after_Bcc_conversion_and_encryption()
    {
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(
            Rule("bcc", [new { type = "convertToBcc", threshold = 2 }]),
            Rule("zip", [new { type = "encryptAttachments" }], new { type = "attachmentCount", min = 1 }));
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "a@one.jp", "b@two.jp" }),
            ("attachments", new[] { Attachment("見積書.txt", new byte[500]) })))).JsonAsync()).Str("id");
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        var received = Assert.Single(Smtp.Received);
        var copy = await Client.GetAsync($"/v1/messages/{id}/sent");
        Assert.Equal(HttpStatusCode.OK, copy.StatusCode);
        var bytes = await copy.Content.ReadAsByteArrayAsync();
        // Identical but for the last line break, which SMTP's end-of-data marker takes from what the server stores.
        Assert.Equal(received.Raw, bytes.AsSpan().EndsWith("\r\n"u8) ? bytes[..^2] : bytes);
        var sent = MimeMessage.Load(new MemoryStream(bytes));
        Assert.Equal("添付ファイル_20261128.zip", sent.Attachments.OfType<MimePart>().Single().FileName);
        Assert.Contains("undisclosed-recipients", sent.Headers[HeaderId.To], StringComparison.Ordinal);

        // The original as submitted is still there, unchanged.
        var original = MimeMessage.Load(new MemoryStream(await Client.GetByteArrayAsync($"/v1/messages/{id}/mime")));
        Assert.Equal("見積書.txt", original.Attachments.OfType<MimePart>().Single().FileName);
        await (await Client.GetAsync($"/v1/messages/{id}/sent?part=2")).ProblemAsync(HttpStatusCode.NotFound, "not-found");

        // Retention deletes the copy with the content.
        (await Client.PatchAsJsonAsync("/v1/tenant", new { retention = "P1D" })).EnsureSuccessStatusCode();
        App.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await App.Service<RetentionService>().PurgeAsync());
        await (await Client.GetAsync($"/v1/messages/{id}/sent")).ProblemAsync(HttpStatusCode.Gone, "content-purged");
        var folder = Path.Combine(App.Folder, "blobs");
        Assert.False(Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any(f => !Path.GetFileName(f).StartsWith('.')));
        await using var connection = await App.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync();
        Assert.Equal(0L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT COUNT(*) FROM blobs"));
    }

    [Fact]
    public async Task A_message_not_sent_has_no_copy()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", SendGateApp.Start.AddHours(1).ToString("O"))))).JsonAsync()).Str("id");
        var problem = await (await Client.GetAsync($"/v1/messages/{id}/sent")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Contains("held", problem.Str("detail"), StringComparison.Ordinal);
    }
}
