using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using SendGate.Core;
using SendGate.Core.Archive;

namespace SendGate.UnitTests.Archive;

public sealed class FolderBlobStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sendgate-blob-tests", Guid.NewGuid().ToString("N"));

    private FolderBlobStore Store => new(Options.Create(new ArchiveOptions { BlobFolder = _root }));

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
    public async Task A_staged_file_that_vanished_fails_the_flush_so_nothing_commits_a_reference_to_it()
    {
        var blob = await Store.StageAsync(RandomNumberGenerator.GetBytes(100));
        File.Delete(Assert.Single(Files()));
        await Assert.ThrowsAnyAsync<IOException>(() => Store.FlushAsync([blob]));
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
