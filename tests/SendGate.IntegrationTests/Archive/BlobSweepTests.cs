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

/// <summary>Everything in the folder (InlineUpTo 0), so each blob is a file the sweep can find.</summary>
public sealed class FolderBlobSweepTests : AppTest
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["SendGate:Archive:InlineUpTo"] = "0" };

    private string Root => Path.Combine(App.Folder, "blobs");

    private string PathOf(string key) => Path.Combine(Root, key[..2], key[2..4], key);

    private FolderBlobStore Store => Assert.IsType<FolderBlobStore>(App.Service<IBlobStore>());

    private DateTimeOffset Before => App.Time.GetUtcNow() - TimeSpan.FromDays(1);

    private static ReferencedKeys Nothing => (_, _) => Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());

    private async Task<string> StageOrphanAsync(byte[] content) => (await Store.StageAsync(content)).Key;

    [Fact]
    public async Task Unreferenced_files_and_interrupted_writes_go_once_a_day_old_and_every_referenced_file_stays()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "残すべき原本"), ("bcc", new[] { "hidden@example.com" })))).JsonAsync()).Str("id");
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        // What a submission whose commit failed leaves: a file nothing refers to; and half a write.
        var orphan = await StageOrphanAsync(RandomNumberGenerator.GetBytes(3_000));
        var temp = Path.Combine(Root, $".{Guid.NewGuid():N}.tmp");
        await File.WriteAllBytesAsync(temp, [1, 2, 3]);
        File.SetLastWriteTimeUtc(temp, App.Time.GetUtcNow().UtcDateTime);
        var sweeper = App.Service<BlobSweeper>();

        Assert.Equal(0, await sweeper.SweepAsync());
        Assert.True(File.Exists(PathOf(orphan)));

        App.Time.Advance(TimeSpan.FromDays(2));
        var young = await StageOrphanAsync(RandomNumberGenerator.GetBytes(3_000));
        Assert.Equal(2, await sweeper.SweepAsync());

        Assert.False(File.Exists(PathOf(orphan)));
        Assert.False(File.Exists(temp));
        Assert.True(File.Exists(PathOf(young)));
        Assert.Equal("残すべき原本", MimeMessage.Load(new MemoryStream(await Client.GetByteArrayAsync($"/v1/messages/{id}/mime"))).Subject);
        Assert.Equal("残すべき原本", MimeMessage.Load(new MemoryStream(await Client.GetByteArrayAsync($"/v1/messages/{id}/sent"))).Subject);
        Assert.Equal(3, Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public async Task A_file_stored_again_before_it_is_moved_aside_is_put_back()
    {
        var content = RandomNumberGenerator.GetBytes(2_000);
        var key = await StageOrphanAsync(content);
        App.Time.Advance(TimeSpan.FromDays(2));

        // Between the sweep's first look and its move, a submission of the same bytes stores them (and touches the file).
        var calls = 0;
        ReferencedKeys racing = async (_, _) =>
        {
            if (calls++ == 0)
            {
                await Store.StageAsync(content);
            }

            return new HashSet<string>();
        };

        Assert.Equal(0, await Store.DeleteUnusedAsync([key], Before, racing));
        Assert.Equal(content, await File.ReadAllBytesAsync(PathOf(key)));
        Assert.False(File.Exists(PathOf(key) + ".deleting"));
    }

    [Fact]
    public async Task A_file_stored_again_after_it_is_moved_aside_is_written_anew_and_survives()
    {
        var content = RandomNumberGenerator.GetBytes(2_000);
        var key = await StageOrphanAsync(content);
        App.Time.Advance(TimeSpan.FromDays(2));

        // The move came first: the submission finds no file and writes its own, which the sweep leaves alone.
        var calls = 0;
        ReferencedKeys racing = async (_, _) =>
        {
            if (calls++ == 1)
            {
                var staged = await Store.StageAsync(content);
                await Store.FlushAsync([staged]);
            }

            return new HashSet<string>();
        };

        Assert.Equal(1, await Store.DeleteUnusedAsync([key], Before, racing));
        Assert.Equal(content, await File.ReadAllBytesAsync(PathOf(key)));
        Assert.False(File.Exists(PathOf(key) + ".deleting"));
    }

    [Fact]
    public async Task A_file_referenced_by_the_time_the_sweep_looks_again_is_put_back()
    {
        var key = await StageOrphanAsync(RandomNumberGenerator.GetBytes(2_000));
        App.Time.Advance(TimeSpan.FromDays(2));

        // Nothing referred to it at first; a transaction committed a reference while the file was being moved.
        var calls = 0;
        ReferencedKeys racing = (keys, _) => Task.FromResult<IReadOnlySet<string>>(calls++ == 0 ? new HashSet<string>() : keys.ToHashSet());

        Assert.Equal(0, await Store.DeleteUnusedAsync([key], Before, racing));
        Assert.True(File.Exists(PathOf(key)));
        Assert.Equal(1, await Store.DeleteUnusedAsync([key], Before, Nothing));
        Assert.False(File.Exists(PathOf(key)));
    }

    [Fact]
    public async Task A_sweep_interrupted_with_a_file_moved_aside_loses_nothing()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "途中で止まった掃除")))).JsonAsync()).Str("id");
        var mime = await Client.GetByteArrayAsync($"/v1/messages/{id}/mime");
        var key = Convert.ToHexStringLower(SHA256.HashData(mime));
        File.Move(PathOf(key), PathOf(key) + ".deleting");

        // Still readable and deliverable where it was left...
        Assert.Equal(mime, await Client.GetByteArrayAsync($"/v1/messages/{id}/mime"));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        // ...and the next sweep puts it back before it looks at anything.
        Assert.Equal(0, await App.Service<BlobSweeper>().SweepAsync());
        Assert.Equal(mime, await File.ReadAllBytesAsync(PathOf(key)));
        Assert.False(File.Exists(PathOf(key) + ".deleting"));
    }
}

/// <summary>The default tiers: small content in the blobs table, large in the folder.</summary>
public sealed class TieredBlobSweepTests : AppTest
{
    [Fact]
    public async Task Unreferenced_rows_and_files_are_swept_and_referenced_ones_stay()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "小さな原本")))).JsonAsync()).Str("id");
        var store = App.Service<IBlobStore>();
        var (smallOrphan, _) = await store.PutAsync(stream => stream.WriteAsync(RandomNumberGenerator.GetBytes(1_000)).AsTask());
        var (largeOrphan, _) = await store.PutAsync(stream => stream.WriteAsync(RandomNumberGenerator.GetBytes(100_000)).AsTask());
        await using var connection = await App.Service<IDbConnectionFactory>().OpenAsync();
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM blobs"));

        App.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(2, await App.Service<BlobSweeper>().SweepAsync());

        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM blobs WHERE blob_key IN (@smallOrphan, @largeOrphan)", new { smallOrphan, largeOrphan }));
        Assert.Null(await store.OpenAsync(largeOrphan));
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM blobs"));
        Assert.Equal("小さな原本", MimeMessage.Load(new MemoryStream(await Client.GetByteArrayAsync($"/v1/messages/{id}/mime"))).Subject);
    }

    [Fact]
    public async Task The_sweep_reads_keys_and_references_through_indexes_never_the_content()
    {
        if (TestDatabase.SqlServer is not null)
        {
            return;
        }

        await using var connection = await App.Service<IDbConnectionFactory>().OpenAsync();
        async Task<List<string>> PlanAsync(string sql, object args) =>
            (await connection.QueryAsync<(long, long, long, string)>("EXPLAIN QUERY PLAN " + sql, args)).Select(r => r.Item4).ToList();

        // Every key, from the primary key's index: the rows hold up to InlineUpTo bytes each.
        Assert.Equal(["SCAN blobs USING COVERING INDEX sqlite_autoindex_blobs_1"], await PlanAsync(DatabaseBlobStore.KeysSql, new { }));
        var references = await PlanAsync(BlobReferences.ReferencedSql, new { keys = new[] { "a", "b" } });
        Assert.Contains(references, line => line.StartsWith("SEARCH message_originals USING COVERING INDEX ix_message_originals_blob", StringComparison.Ordinal));
        Assert.Contains(references, line => line.StartsWith("SEARCH message_sent USING COVERING INDEX ix_message_sent_blob", StringComparison.Ordinal));
        var delete = await PlanAsync(SqliteDialect.Instance.DeleteUnusedBlobSql, new { key = "a", before = 0L });
        Assert.DoesNotContain(delete, line => line.StartsWith("SCAN ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_grace_shorter_than_an_hour_stops_the_start()
    {
        await using var app = new SendGateApp(settings: new Dictionary<string, string?> { ["SendGate:Archive:OrphanGrace"] = "00:10:00" });
        // The entry point refuses before building a host; the line it prints is checked in Operator/BadSettingsTests.
        var error = Assert.ThrowsAny<Exception>(() => app.Admin());
        Assert.Contains("exited without ever building an IHost", error.Message, StringComparison.Ordinal);
    }
}
