using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Dapper;
using MimeKit;
using SendGate.Core.Archive;
using SendGate.Core.Data;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Archive;

/// <summary>Originals go through the blob store like sent copies: the folder by default with SQLite.</summary>
public sealed class OriginalArchiveTests : AppWithSmtpTest
{
    private async Task<T> ScalarAsync<T>(string sql, object args)
    {
        await using var connection = await App.Service<IDbConnectionFactory>().OpenAsync();
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException("no value");
    }

    private IEnumerable<string> BlobFiles() =>
        Directory.Exists(Path.Combine(App.Folder, "blobs"))
            ? Directory.EnumerateFiles(Path.Combine(App.Folder, "blobs"), "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.'))
            : [];

    [Fact]
    public async Task A_large_original_is_a_content_addressed_file_a_small_one_a_row_and_the_message_keeps_only_the_key()
    {
        var large = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "見積書の送付"),
            ("attachments", new[] { Attachment("scan.bin", RandomNumberGenerator.GetBytes(100_000)) })))).JsonAsync()).Str("id");
        var small = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "短い連絡")))).JsonAsync()).Str("id");

        // Above SendGate:Archive:InlineUpTo (64 KB): a file named by its hash.
        var mime = await Client.GetByteArrayAsync($"/v1/messages/{large}/mime");
        var key = Convert.ToHexStringLower(SHA256.HashData(mime));
        Assert.Equal(mime, await File.ReadAllBytesAsync(Path.Combine(App.Folder, "blobs", key[..2], key[2..4], key)));
        Assert.Equal(key, await ScalarAsync<string>("SELECT blob_key FROM message_originals WHERE message_id = @id", new { id = large }));
        Assert.Equal("見積書の送付", MimeMessage.Load(new MemoryStream(mime)).Subject);

        // Up to it: a row of the blobs table, written in the message's own transaction.
        var smallMime = await Client.GetByteArrayAsync($"/v1/messages/{small}/mime");
        var smallKey = Convert.ToHexStringLower(SHA256.HashData(smallMime));
        Assert.Equal(smallKey, await ScalarAsync<string>("SELECT blob_key FROM message_originals WHERE message_id = @id", new { id = small }));
        Assert.Equal((long)smallMime.Length, await ScalarAsync<long>("SELECT size FROM blobs WHERE blob_key = @smallKey", new { smallKey }));
        Assert.Single(BlobFiles());
        Assert.Equal(0L, await ScalarAsync<long>("SELECT COUNT(*) FROM message_content", new { }));

        // Delivery reads both from there.
        Assert.Equal(2, (await App.DeliverDueAsync()).Sent);
        Assert.Equal(["短い連絡", "見積書の送付"], Smtp.Received.Select(m => m.Parse().Subject).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Content_written_whole_goes_to_the_tier_its_size_decides()
    {
        var store = App.Service<IBlobStore>();
        Assert.IsType<TieredBlobStore>(store);
        var big = RandomNumberGenerator.GetBytes(70_000);
        var (bigKey, bigSize) = await store.PutAsync(stream => stream.WriteAsync(big).AsTask());
        var (smallKey, smallSize) = await store.PutAsync(async stream =>
        {
            // Written in pieces, as MimeKit does.
            await stream.WriteAsync("Subject: x\r\n"u8.ToArray());
            await stream.WriteAsync("\r\nbody\r\n"u8.ToArray());
        });

        Assert.Equal((70_000L, 20L), (bigSize, smallSize));
        Assert.Equal(Path.GetFileName(Assert.Single(BlobFiles())), bigKey);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT COUNT(*) FROM blobs WHERE blob_key = @smallKey", new { smallKey }));
        // Staged from a writer (a sent copy): a large one is a file at once, a small one waits for its transaction.
        var bigCopy = await store.StageAsync(stream => stream.WriteAsync(RandomNumberGenerator.GetBytes(80_000)).AsTask());
        var smallCopy = await store.StageAsync(stream => stream.WriteAsync("Subject: copy\r\n\r\n"u8.ToArray()).AsTask());
        Assert.Equal(2, BlobFiles().Count());
        Assert.Contains(BlobFiles(), f => Path.GetFileName(f) == bigCopy.Key);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT COUNT(*) FROM blobs WHERE blob_key = @key", new { key = smallCopy.Key }));
        await using (var connection = await App.Service<IDbConnectionFactory>().OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await store.RecordAsync(connection, transaction, bigCopy);
            await store.RecordAsync(connection, transaction, smallCopy);
            await transaction.CommitAsync();
        }

        Assert.Equal(1L, await ScalarAsync<long>("SELECT COUNT(*) FROM blobs WHERE blob_key = @key", new { key = smallCopy.Key }));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT COUNT(*) FROM blobs WHERE blob_key = @key", new { key = bigCopy.Key }));

        foreach (var key in new[] { bigKey, smallKey, bigCopy.Key, smallCopy.Key })
        {
            await using var read = await store.OpenAsync(key);
            Assert.Equal(key, Convert.ToHexStringLower(await SHA256.HashDataAsync(read!)));
            await store.DeleteAsync(key);
            Assert.Null(await store.OpenAsync(key));
        }
    }

    [Fact]
    public async Task The_same_bytes_submitted_twice_are_stored_once_and_outlive_the_first_purge()
    {
        var raw = "From: sender@example.co.jp\r\nTo: someone@example.com\r\nSubject: same\r\nMessage-ID: <same@example.co.jp>\r\nDate: Sat, 28 Nov 2026 09:00:00 +0000\r\n\r\nbody\r\n"u8.ToArray();
        async Task<string> SubmitAsync()
        {
            using var content = new ByteArrayContent(raw);
            content.Headers.ContentType = new("message/rfc822");
            var response = await Client.PostAsync("/v1/messages", content);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.JsonAsync()).Str("id");
        }

        var first = await SubmitAsync();
        await App.DeliverDueAsync();
        (await Client.PatchAsJsonAsync("/v1/tenant", new { retention = "P1D" })).EnsureSuccessStatusCode();
        App.Time.Advance(TimeSpan.FromDays(2));
        var second = await SubmitAsync();
        Assert.Equal(1L, await ScalarAsync<long>("SELECT COUNT(*) FROM blobs WHERE blob_key = @key", new { key = Convert.ToHexStringLower(SHA256.HashData(raw)) }));

        // The first one's purge must not take the bytes the second one still refers to.
        Assert.Equal(1, await App.Service<RetentionService>().PurgeAsync());
        await (await Client.GetAsync($"/v1/messages/{first}/mime")).ProblemAsync(HttpStatusCode.Gone, "content-purged");
        Assert.Equal(raw, await Client.GetByteArrayAsync($"/v1/messages/{second}/mime"));
    }

    [Fact]
    public async Task A_message_stored_before_originals_moved_to_the_blob_store_is_still_read_delivered_and_purged()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "legacy")))).JsonAsync()).Str("id");
        var mime = await Client.GetByteArrayAsync($"/v1/messages/{id}/mime");
        await using (var connection = await App.Service<IDbConnectionFactory>().OpenAsync())
        {
            // As a message accepted before the move was stored: the bytes in message_content.
            await connection.ExecuteAsync("DELETE FROM message_originals WHERE message_id = @id", new { id });
            await connection.ExecuteAsync("INSERT INTO message_content (message_id, original) VALUES (@id, @mime)", new { id, mime });
        }

        foreach (var file in BlobFiles())
        {
            File.Delete(file);
        }

        Assert.Equal(mime, await Client.GetByteArrayAsync($"/v1/messages/{id}/mime"));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal("legacy", Assert.Single(Smtp.Received).Parse().Subject);

        (await Client.PatchAsJsonAsync("/v1/tenant", new { retention = "P1D" })).EnsureSuccessStatusCode();
        App.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await App.Service<RetentionService>().PurgeAsync());
        Assert.Equal(0L, await ScalarAsync<long>("SELECT COUNT(*) FROM message_content", new { }));
        await (await Client.GetAsync($"/v1/messages/{id}/mime")).ProblemAsync(HttpStatusCode.Gone, "content-purged");
    }

    [Fact]
    public async Task Sent_copies_export_as_an_mbox_of_what_relays_received()
    {
        await Client.SetInternalDomainsAsync("example.co.jp");
        await Client.SetPolicyAsync(Rule("bcc", [new { type = "convertToBcc", threshold = 2 }]));
        await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "案内"), ("to", new[] { "a@one.jp", "b@two.jp" })));
        await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "not yet"), ("sendAt", SendGateApp.Start.AddHours(1).ToString("O"))));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        var sent = RetentionAndExportTests.Parse(await Client.GetByteArrayAsync("/v1/messages/export?content=sent"));
        var copy = Assert.Single(sent);
        Assert.Equal("案内", copy.Subject);
        Assert.Contains("undisclosed-recipients", copy.Headers[HeaderId.To], StringComparison.Ordinal);
        Assert.Equal(MimeMessage.Load(new MemoryStream(Assert.Single(Smtp.Received).Raw)).MessageId, copy.MessageId);

        var originals = RetentionAndExportTests.Parse(await Client.GetByteArrayAsync("/v1/messages/export?content=original"));
        Assert.Equal(["not yet", "案内"], originals.Select(m => m.Subject));
        Assert.Contains("a@one.jp", originals[1].Headers[HeaderId.To], StringComparison.Ordinal);

        var problem = await (await Client.GetAsync("/v1/messages/export?content=everything")).ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "content");
        Assert.Contains("'sent'", problem.Str("detail"), StringComparison.Ordinal);
    }
}

/// <summary>With the database blob store (the default with SQL Server), nothing is written to disk.</summary>
public sealed class DatabaseBlobStoreTests : AppWithSmtpTest
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["SendGate:Archive:BlobStore"] = "Database" };

    [Fact]
    public async Task Originals_and_sent_copies_live_in_the_blobs_table_and_large_ones_stream()
    {
        // Above the store's in-memory threshold, so reading it back spools through a temporary file.
        var large = RandomNumberGenerator.GetBytes(1_500_000);
        // A Bcc makes the sent copy differ from the original (the header is not sent), so two blobs.
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "大きな添付"), ("bcc", new[] { "hidden@example.com" }),
            ("attachments", new[] { Attachment("scan.bin", large) })))).JsonAsync()).Str("id");
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        var original = MimeMessage.Load(new MemoryStream(await Client.GetByteArrayAsync($"/v1/messages/{id}/mime")));
        using (var decoded = new MemoryStream())
        {
            ((MimePart)original.Attachments.Single()).Content!.DecodeTo(decoded);
            Assert.Equal(large, decoded.ToArray());
        }

        var copy = await Client.GetByteArrayAsync($"/v1/messages/{id}/sent");
        var received = Assert.Single(Smtp.Received).Raw;
        Assert.Equal(received, copy.AsSpan().EndsWith("\r\n"u8) ? copy[..^2] : copy);

        await using var connection = await App.Service<IDbConnectionFactory>().OpenAsync();
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM blobs"));
        Assert.False(Directory.Exists(Path.Combine(App.Folder, "blobs")) && Directory.EnumerateFiles(Path.Combine(App.Folder, "blobs"), "*", SearchOption.AllDirectories).Any());

        (await Client.PatchAsJsonAsync("/v1/tenant", new { retention = "P1D" })).EnsureSuccessStatusCode();
        App.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await App.Service<RetentionService>().PurgeAsync());
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM blobs"));
    }
}

/// <summary>InlineUpTo 0: everything in the folder, the small originals too.</summary>
public sealed class FolderOnlyBlobStoreTests : AppTest
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["SendGate:Archive:InlineUpTo"] = "0" };

    [Fact]
    public async Task Small_originals_are_files_too()
    {
        Assert.IsType<FolderBlobStore>(App.Service<IBlobStore>());
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "小さな連絡")))).JsonAsync()).Str("id");
        var mime = await Client.GetByteArrayAsync($"/v1/messages/{id}/mime");
        var key = Convert.ToHexStringLower(SHA256.HashData(mime));
        Assert.Equal(mime, await File.ReadAllBytesAsync(Path.Combine(App.Folder, "blobs", key[..2], key[2..4], key)));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
    }
}
