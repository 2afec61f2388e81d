using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendGate.Core;
using SendGate.Core.Archive;

namespace SendGate.UnitTests.Archive;

public sealed class FolderBlobStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sendgate-blob-tests", Guid.NewGuid().ToString("N"));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));

    private FolderBlobStore Store => new(Options.Create(new ArchiveOptions { BlobFolder = _root }), _time, new BlobFiles());

    private IEnumerable<string> Files() => Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Staged_content_lands_once_under_its_hash_and_reads_back()
    {
        var content = "Subject: 見積書\r\n\r\nbody\r\n"u8.ToArray();
        var first = await Store.StageAsync(content);
        var second = await Store.StageAsync(content);
        await Store.FlushAsync([first, second]);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), first.Key);
        Assert.Equal(first, second with { Content = first.Content });
        var file = Assert.Single(Files());
        Assert.Equal(Path.Combine(_root, first.Key[..2], first.Key[2..4], first.Key), file);
        await using var stream = await Store.OpenAsync(first.Key);
        using var read = new MemoryStream();
        await stream!.CopyToAsync(read);
        Assert.Equal(content, read.ToArray());
    }

    [Fact]
    public async Task A_staged_file_that_vanished_before_the_flush_is_written_again()
    {
        // A sweep may take an old unused file of the same bytes between the staging and the flush.
        var content = RandomNumberGenerator.GetBytes(100);
        var blob = await Store.StageAsync(content);
        File.Delete(Assert.Single(Files()));

        await Store.FlushAsync([blob]);

        Assert.Equal(content, await File.ReadAllBytesAsync(Assert.Single(Files())));
    }

    [Fact]
    public async Task A_vanished_file_whose_bytes_are_not_at_hand_fails_the_flush_so_nothing_commits_a_reference_to_it()
    {
        var blob = await Store.StageAsync(RandomNumberGenerator.GetBytes(100));
        File.Delete(Assert.Single(Files()));
        await Assert.ThrowsAnyAsync<IOException>(() => Store.FlushAsync([blob with { Content = ReadOnlyMemory<byte>.Empty }]));
    }

    [Fact]
    public async Task A_file_is_dated_by_the_clock_and_storing_the_same_bytes_again_dates_it_anew()
    {
        var content = RandomNumberGenerator.GetBytes(100);
        await Store.StageAsync(content);
        Assert.Equal(_time.GetUtcNow().UtcDateTime, File.GetLastWriteTimeUtc(Assert.Single(Files())));

        _time.Advance(TimeSpan.FromDays(3));
        await Store.StageAsync(content);
        Assert.Equal(_time.GetUtcNow().UtcDateTime, File.GetLastWriteTimeUtc(Assert.Single(Files())));

        _time.Advance(TimeSpan.FromDays(3));
        await Store.PutAsync(stream => stream.WriteAsync(content).AsTask());
        Assert.Equal(_time.GetUtcNow().UtcDateTime, File.GetLastWriteTimeUtc(Assert.Single(Files())));
        Assert.Equal(["a"], await Store.ListAsync(_time.GetUtcNow().AddTicks(1)).Select(_ => "a").ToListAsync());
        Assert.Empty(await Store.ListAsync(_time.GetUtcNow()).ToListAsync());
    }

    [Fact]
    public async Task Put_is_durable_on_return_and_delete_removes_it()
    {
        var (key, size) = await Store.PutAsync(stream => stream.WriteAsync(new byte[] { 1, 2, 3 }).AsTask());
        Assert.Equal(3, size);
        await using (var opened = await Store.OpenAsync(key))
        {
            Assert.Equal(3, opened!.Length);
        }

        await Store.DeleteAsync(key);
        Assert.Null(await Store.OpenAsync(key));
        Assert.DoesNotContain(Files(), f => Path.GetFileName(f).EndsWith(".tmp", StringComparison.Ordinal));
    }
}
