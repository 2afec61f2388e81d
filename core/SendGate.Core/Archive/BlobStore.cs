using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;

namespace SendGate.Core.Archive;

/// <summary>Content-addressed storage for archived mail: the key is the SHA-256 of the bytes.</summary>
public interface IBlobStore
{
    /// <summary>Stores what <paramref name="write"/> writes; returns its key and size.</summary>
    Task<(string Key, long Size)> PutAsync(Func<Stream, Task> write, CancellationToken cancellationToken = default);

    Task<Stream?> OpenAsync(string key, CancellationToken cancellationToken = default);

    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>
/// Blobs as files under <c>ab/cd/abcd…</c>: written aside while hashed, then moved into place, so
/// a reader never sees half a file and the same content is stored once.
/// </summary>
public sealed class FolderBlobStore(IOptions<ArchiveOptions> options) : IBlobStore
{
    private string Root => Path.GetFullPath(options.Value.BlobFolder);

    public async Task<(string Key, long Size)> PutAsync(Func<Stream, Task> write, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Root);
        var temp = Path.Combine(Root, $".{Guid.NewGuid():N}.tmp");
        string key;
        long size;
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            await using (var hashing = new HashingStream(file, hash))
            {
                await write(hashing);
            }

            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
            size = file.Length;
            key = Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            File.Delete(temp);
        }
        else
        {
            File.Move(temp, path, overwrite: true);
        }

        return (key, size);
    }

    public Task<Stream?> OpenAsync(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult<Stream?>(File.Exists(PathOf(key)) ? new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous) : null);

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    private string PathOf(string key) => Path.Combine(Root, key[..2], key[2..4], key);

    private sealed class HashingStream(Stream inner, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            hash.AppendData(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        // The caller owns the inner stream.
        protected override void Dispose(bool disposing)
        {
        }
    }
}

/// <summary>Blobs in the database, so every node of a SQL Server installation reads every copy.</summary>
public sealed class DatabaseBlobStore(IDbConnectionFactory db, TimeProvider time) : IBlobStore
{
    private const string InsertSql = """
        INSERT INTO blobs (blob_key, content, size, created_at)
        SELECT @key, @content, @size, @now WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE blob_key = @key)
        """;

    private const string GetSql = "SELECT content FROM blobs WHERE blob_key = @key";
    private const string DeleteSql = "DELETE FROM blobs WHERE blob_key = @key";

    public async Task<(string Key, long Size)> PutAsync(Func<Stream, Task> write, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await write(buffer);
        var content = buffer.ToArray();
        var key = Convert.ToHexStringLower(SHA256.HashData(content));
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(InsertSql, new { key, content, size = (long)content.Length, now = time.NowMs() }, cancellationToken: cancellationToken));
        return (key, content.Length);
    }

    public async Task<Stream?> OpenAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var content = await connection.QuerySingleOrDefaultAsync<byte[]>(new CommandDefinition(GetSql, new { key }, cancellationToken: cancellationToken));
        return content is null ? null : new MemoryStream(content, writable: false);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { key }, cancellationToken: cancellationToken));
    }
}
