using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;

namespace SendGate.Core.Archive;

/// <summary>Content-addressed storage for archived mail: the key is the SHA-256 of the bytes.</summary>
public interface IBlobStore
{
    /// <summary>
    /// Stores what <paramref name="write"/> writes, durably before it returns; returns its key and
    /// size. <paramref name="write"/> must write the same bytes each time: a store may start over.
    /// </summary>
    Task<(string Key, long Size)> PutAsync(Func<Stream, Task> write, CancellationToken cancellationToken = default);

    /// <summary>
    /// First step of storing content that a database transaction is about to reference (a
    /// submitted original): written where it will live, but durable only once
    /// <see cref="FlushAsync"/> has run for it and <see cref="RecordAsync"/> inside the transaction.
    /// </summary>
    Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="StageAsync(ReadOnlyMemory{byte}, CancellationToken)"/> for content a writer
    /// produces (a sent copy): what the database will hold waits for <see cref="RecordAsync"/> in
    /// the referencing transaction; what goes to a folder is stored durably at once, never held
    /// whole in memory. <paramref name="write"/> must write the same bytes each time.
    /// </summary>
    Task<StagedBlob> StageAsync(Func<Stream, Task> write, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes staged blobs durable, before the transaction that references them commits. Called
    /// once for a whole group commit, so that one flush serves every message of the batch.
    /// </summary>
    Task FlushAsync(IReadOnlyCollection<StagedBlob> staged, CancellationToken cancellationToken = default);

    /// <summary>The staged blob's part of the referencing transaction (nothing for a folder).</summary>
    Task RecordAsync(DbConnection connection, DbTransaction transaction, StagedBlob staged);

    Task<Stream?> OpenAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Deletes unconditionally: only for content nothing can reference (tests, tools).</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// The keys that may have been stored before <paramref name="writtenBefore"/>: what a sweep
    /// considers. A store may list more; <see cref="DeleteUnusedAsync"/> checks again.
    /// </summary>
    IAsyncEnumerable<string> ListAsync(DateTimeOffset writtenBefore, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes those of <paramref name="keys"/> that no message references and that were neither
    /// written nor stored again since <paramref name="writtenBefore"/>, safely against a submission
    /// of the same bytes that is about to reference one of them; returns how many were deleted.
    /// </summary>
    Task<int> DeleteUnusedAsync(IReadOnlyCollection<string> keys, DateTimeOffset writtenBefore, ReferencedKeys referenced, CancellationToken cancellationToken = default);

    /// <summary>Deletes what writes interrupted before <paramref name="writtenBefore"/> left behind; returns how many.</summary>
    Task<int> DeleteLeftoversAsync(DateTimeOffset writtenBefore, CancellationToken cancellationToken = default);
}

/// <summary>Which of <paramref name="keys"/> a message refers to, as committed now.</summary>
public delegate Task<IReadOnlySet<string>> ReferencedKeys(IReadOnlyCollection<string> keys, CancellationToken cancellationToken);

/// <summary>Content written ahead of the transaction that will reference it; see <see cref="IBlobStore.StageAsync"/>.</summary>
public sealed record StagedBlob(string Key, long Size, ReadOnlyMemory<byte> Content);

/// <summary>
/// Where the folder store's bytes reach the disk: the temporary file each write goes to before it
/// is moved into place. Its own class so that what a disk does when it fails (full, read-only)
/// can be played through the real store.
/// </summary>
public class BlobFiles
{
    /// <summary>A new file for writing only; unbuffered unless <paramref name="asynchronous"/>.</summary>
    public virtual FileStream CreateNew(string path, bool asynchronous) =>
        new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, asynchronous ? 81920 : 1, asynchronous ? FileOptions.Asynchronous : FileOptions.None);
}

/// <summary>
/// Blobs as files under <c>ab/cd/abcd…</c>: written aside while hashed, then moved into place, so
/// a reader never sees half a file and the same content is stored once. Storing bytes that are
/// already there touches the file: its modification time says when it was last stored, which is
/// what makes deleting unused files safe (<see cref="DeleteUnusedAsync"/>).
/// </summary>
public sealed partial class FolderBlobStore(IOptions<ArchiveOptions> options, TimeProvider time, BlobFiles files) : IBlobStore
{
    // Modification times come from the same clock as everything else (so a sweep's "a day old" means
    // the same as retention's), not from the file system's.
    // A file on its way out: moved aside, deleted or put back once the references are checked again.
    private const string Doomed = ".deleting";

    private string Root => Path.GetFullPath(options.Value.BlobFolder);

    // Synchronous on purpose: a few KB to the page cache, no flush, costs less than the async machinery.
    public Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(content.Span));
        var path = PathOf(key);
        if (!(File.Exists(path) && Touch(path)))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = Path.Combine(Root, $".{Guid.NewGuid():N}.tmp");
            try
            {
                using (var file = files.CreateNew(temp, asynchronous: false))
                {
                    file.Write(content.Span);
                    File.SetLastWriteTimeUtc(file.SafeFileHandle, time.GetUtcNow().UtcDateTime);
                }

                File.Move(temp, path, overwrite: true);
            }
            catch
            {
                // A full disk (or any failed write) leaves no temporary file behind, one per request.
                DeleteQuietly(temp);
                throw;
            }
        }

        return Task.FromResult(new StagedBlob(key, content.Length, content));
    }

    // A folder blob needs no transaction: stored durably now, the record is then a no-op.
    public async Task<StagedBlob> StageAsync(Func<Stream, Task> write, CancellationToken cancellationToken = default)
    {
        var (key, size) = await PutAsync(write, cancellationToken);
        return new StagedBlob(key, size, ReadOnlyMemory<byte>.Empty);
    }

    /// <summary>
    /// fsyncs every staged file and the directories holding it (the renames and new folders are
    /// directory entries, which a file's fsync does not cover), in parallel so that the file
    /// system journals them in shared commits. Files that already existed are flushed too: an
    /// identical submission may have created one a moment ago that its own batch has not yet
    /// flushed. Clean files and folders cost next to nothing. Not on Linux, only the files are
    /// flushed (NTFS and APFS journal the directory entries themselves).
    /// </summary>
    public async Task FlushAsync(IReadOnlyCollection<StagedBlob> staged, CancellationToken cancellationToken = default)
    {
        var files = staged.Select(b => PathOf(b.Key)).Distinct(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            return;
        }

        // An unused file of the same bytes may have been swept since it was touched: stored again.
        foreach (var blob in staged.Where(b => !b.Content.IsEmpty && !File.Exists(PathOf(b.Key))))
        {
            await StageAsync(blob.Content, cancellationToken);
        }

        var paths = files;
        if (OperatingSystem.IsLinux())
        {
            var folders = files.Select(f => Path.GetDirectoryName(f)!).Distinct(StringComparer.Ordinal).ToList();
            paths = [.. files, .. folders, .. folders.Select(f => Path.GetDirectoryName(f)!).Distinct(StringComparer.Ordinal), Root];
        }

        await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, (path, _) =>
        {
            FlushToDisk(path);
            return ValueTask.CompletedTask;
        });
    }

    private static void FlushToDisk(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
            file.Flush(flushToDisk: true);
            return;
        }

        // .NET opens no directory handles, so open(2)/fsync(2) directly; O_RDONLY (0) opens either.
        var fd = Open(path, 0);
        if (fd < 0)
        {
            throw new IOException($"Cannot open '{path}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of '{path}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    public Task RecordAsync(DbConnection connection, DbTransaction transaction, StagedBlob staged) => Task.CompletedTask;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    public async Task<(string Key, long Size)> PutAsync(Func<Stream, Task> write, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Root);
        var temp = Path.Combine(Root, $".{Guid.NewGuid():N}.tmp");
        try
        {
            string key;
            long size;
            await using (var file = files.CreateNew(temp, asynchronous: true))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                await using (var hashing = new HashingStream(file, hash))
                {
                    await write(hashing);
                }

                await file.FlushAsync(cancellationToken);
                File.SetLastWriteTimeUtc(file.SafeFileHandle, time.GetUtcNow().UtcDateTime);
                file.Flush(flushToDisk: true);
                size = file.Length;
                key = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            var path = PathOf(key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (File.Exists(path) && Touch(path))
            {
                File.Delete(temp);
            }
            else
            {
                File.Move(temp, path, overwrite: true);
            }

            return (key, size);
        }
        catch
        {
            DeleteQuietly(temp);
            throw;
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // What cannot be deleted now, the daily sweep's DeleteLeftoversAsync deletes later.
        }
    }

    // A file is moved aside for a moment while a sweep checks it again (DeleteUnusedAsync): read it there.
    public Task<Stream?> OpenAsync(string key, CancellationToken cancellationToken = default)
    {
        foreach (var path in (string[])[PathOf(key), PathOf(key) + Doomed])
        {
            try
            {
                return Task.FromResult<Stream?>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.Asynchronous));
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
            }
        }

        return Task.FromResult<Stream?>(null);
    }

    // Deleting what is not there (never written, or already deleted) is not an error.
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        if (File.Exists(PathOf(key)))
        {
            File.Delete(PathOf(key));
        }

        return Task.CompletedTask;
    }

    /// <summary>Every blob file last stored before the time.</summary>
    public IAsyncEnumerable<string> ListAsync(DateTimeOffset writtenBefore, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Root))
        {
            return AsyncEnumerable.Empty<string>();
        }

        var files = new DirectoryInfo(Root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 });
        return files.Where(f => IsKey(f.Name) && f.LastWriteTimeUtc < writtenBefore.UtcDateTime).Select(f => f.Name).ToAsyncEnumerable();
    }

    /// <summary>
    /// Moves the unreferenced files aside, then looks again: a file stored since (touched, see
    /// <see cref="StageAsync(ReadOnlyMemory{byte}, CancellationToken)"/>) or referenced by now
    /// goes back, the rest is deleted. A submission of the same bytes either touched the file before
    /// it was moved (seen here) or finds no file and writes its own; a reader of a file moved
    /// aside for that moment reads it there (<see cref="OpenAsync"/>).
    /// </summary>
    public async Task<int> DeleteUnusedAsync(IReadOnlyCollection<string> keys, DateTimeOffset writtenBefore, ReferencedKeys referenced, CancellationToken cancellationToken = default)
    {
        var used = await referenced(keys, cancellationToken);
        var aside = new List<string>();
        foreach (var key in keys.Where(k => IsKey(k) && !used.Contains(k)).Distinct(StringComparer.Ordinal))
        {
            var path = PathOf(key);
            try
            {
                File.Move(path, path + Doomed, overwrite: true);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                // Not a file here: another tier's, or deleted already.
                continue;
            }

            aside.Add(key);
        }

        if (aside.Count == 0)
        {
            return 0;
        }

        used = await referenced(aside, cancellationToken);
        var deleted = 0;
        foreach (var key in aside)
        {
            var path = PathOf(key);
            if (!File.Exists(path + Doomed))
            {
                // Put back by another sweep's clean-up meanwhile.
                continue;
            }

            if (used.Contains(key) || File.GetLastWriteTimeUtc(path + Doomed) >= writtenBefore.UtcDateTime)
            {
                PutBack(path);
                continue;
            }

            File.Delete(path + Doomed);
            deleted++;
        }

        return deleted;
    }

    /// <summary>
    /// Deletes temporary files of writes that never finished, and puts back files a sweep stopped
    /// in the middle left moved aside (readable there meanwhile, see <see cref="OpenAsync"/>): the
    /// sweep that follows looks at them again like at any other file.
    /// </summary>
    public Task<int> DeleteLeftoversAsync(DateTimeOffset writtenBefore, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Root))
        {
            return Task.FromResult(0);
        }

        foreach (var aside in new DirectoryInfo(Root).EnumerateFiles("*" + Doomed, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).ToList())
        {
            if (IsKey(aside.Name[..^Doomed.Length]))
            {
                PutBack(aside.FullName[..^Doomed.Length]);
            }
        }

        var deleted = 0;
        foreach (var temp in new DirectoryInfo(Root).EnumerateFiles(".*.tmp", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            if (temp.LastWriteTimeUtc < writtenBefore.UtcDateTime)
            {
                temp.Delete();
                deleted++;
            }
        }

        return Task.FromResult(deleted);
    }

    private static void PutBack(string path)
    {
        try
        {
            File.Move(path + Doomed, path, overwrite: false);
        }
        catch (FileNotFoundException)
        {
            // Put back or deleted by another sweep meanwhile.
            return;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Written again meanwhile by a submission of the same bytes, which flushes its own copy.
            File.Delete(path + Doomed);
            return;
        }

        FlushToDisk(path);
        FlushToDisk(Path.GetDirectoryName(path)!);
    }

    // The bytes are stored again: a sweep that already found the file unused must see that it is wanted.
    private bool Touch(string path)
    {
        try
        {
            File.SetLastWriteTimeUtc(path, time.GetUtcNow().UtcDateTime);
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    private static bool IsKey(string name) => name.Length == 64 && name.All(char.IsAsciiHexDigitLower);

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
    private string InsertSql => db.Dialect.InsertBlobSql;

    private const string DeleteSql = "DELETE FROM blobs WHERE blob_key = @key";

    // Read from the primary key's index alone; whether a candidate is old and unused is the delete's own condition.
    internal const string KeysSql = "SELECT blob_key FROM blobs";


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

    public Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        Task.FromResult(new StagedBlob(Convert.ToHexStringLower(SHA256.HashData(content.Span)), content.Length, content));

    public async Task<StagedBlob> StageAsync(Func<Stream, Task> write, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await write(buffer);
        return await StageAsync(buffer.ToArray(), cancellationToken);
    }

    // The blob is written inside the referencing transaction: durable exactly when it is.
    public Task FlushAsync(IReadOnlyCollection<StagedBlob> staged, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public async Task RecordAsync(DbConnection connection, DbTransaction transaction, StagedBlob staged) =>
        await connection.ExecuteAsync(InsertSql, new { key = staged.Key, content = staged.Content.ToArray(), size = staged.Size, now = time.NowMs() }, transaction);

    /// <summary>The blob as a seekable stream, spooled to a temporary file when large (<see cref="ContentSpool"/>).</summary>
    public async Task<Stream?> OpenAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await ContentSpool.OpenAsync(connection, db.Dialect.BlobStreamSql, "key", key, cancellationToken);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { key }, cancellationToken: cancellationToken));
    }

    public async IAsyncEnumerable<string> ListAsync(DateTimeOffset writtenBefore, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(KeysSql, cancellationToken: cancellationToken));
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return reader.GetString(0);
        }
    }

    /// <summary>
    /// One conditional delete per key: the row goes only if it is old and nothing refers to it in
    /// the same statement, so a submission of the same bytes either committed its reference before
    /// (the row stays) or inserts the row anew after. <paramref name="referenced"/> is not needed.
    /// </summary>
    public async Task<int> DeleteUnusedAsync(IReadOnlyCollection<string> keys, DateTimeOffset writtenBefore, ReferencedKeys referenced, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var deleted = 0;
        foreach (var key in keys.Distinct(StringComparer.Ordinal))
        {
            deleted += await connection.ExecuteAsync(new CommandDefinition(db.Dialect.DeleteUnusedBlobSql, new { key, before = writtenBefore.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        }

        return deleted;
    }

    // Each blob is written whole in the transaction that references it: nothing is left half done.
    public Task<int> DeleteLeftoversAsync(DateTimeOffset writtenBefore, CancellationToken cancellationToken = default) => Task.FromResult(0);
}

/// <summary>
/// The folder store with small blobs kept in the database: typical mail (a few KB) costs one row in
/// the transaction that already commits the message, and only large content — where a file's cost
/// is small beside its size — goes to the folder. Both halves are content-addressed alike.
/// </summary>
public sealed class TieredBlobStore(DatabaseBlobStore database, FolderBlobStore folder, IOptions<ArchiveOptions> options) : IBlobStore
{
    private int InlineUpTo => options.Value.InlineUpTo;

    private bool Inline(long size) => size <= InlineUpTo;

    public async Task<(string Key, long Size)> PutAsync(Func<Stream, Task> write, CancellationToken cancellationToken = default)
    {
        using var small = new BoundedMemoryStream(InlineUpTo);
        try
        {
            await write(small);
        }
        catch (BoundedMemoryStream.FullException)
        {
            // Too large to inline: written again, this time straight to a file, never held whole.
            return await folder.PutAsync(write, cancellationToken);
        }

        return await database.PutAsync(stream => stream.WriteAsync(small.GetBuffer().AsMemory(0, (int)small.Length), cancellationToken).AsTask(), cancellationToken);
    }

    public Task<StagedBlob> StageAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        Inline(content.Length) ? database.StageAsync(content, cancellationToken) : folder.StageAsync(content, cancellationToken);

    public async Task<StagedBlob> StageAsync(Func<Stream, Task> write, CancellationToken cancellationToken = default)
    {
        using var small = new BoundedMemoryStream(InlineUpTo);
        try
        {
            await write(small);
        }
        catch (BoundedMemoryStream.FullException)
        {
            return await folder.StageAsync(write, cancellationToken);
        }

        return await database.StageAsync(small.ToArray(), cancellationToken);
    }

    public Task FlushAsync(IReadOnlyCollection<StagedBlob> staged, CancellationToken cancellationToken = default) =>
        folder.FlushAsync(staged.Where(b => !Inline(b.Size)).ToList(), cancellationToken);

    public Task RecordAsync(DbConnection connection, DbTransaction transaction, StagedBlob staged) =>
        Inline(staged.Size) ? database.RecordAsync(connection, transaction, staged) : Task.CompletedTask;

    // By key alone the tier is unknown (and InlineUpTo may have changed since): the database first, it is one lookup.
    public async Task<Stream?> OpenAsync(string key, CancellationToken cancellationToken = default) =>
        await database.OpenAsync(key, cancellationToken) ?? await folder.OpenAsync(key, cancellationToken);

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        await database.DeleteAsync(key, cancellationToken);
        await folder.DeleteAsync(key, cancellationToken);
    }

    public IAsyncEnumerable<string> ListAsync(DateTimeOffset writtenBefore, CancellationToken cancellationToken = default) =>
        database.ListAsync(writtenBefore, cancellationToken).Concat(folder.ListAsync(writtenBefore, cancellationToken));

    // A key names the same bytes in either tier; each deletes what it holds of them.
    public async Task<int> DeleteUnusedAsync(IReadOnlyCollection<string> keys, DateTimeOffset writtenBefore, ReferencedKeys referenced, CancellationToken cancellationToken = default) =>
        await database.DeleteUnusedAsync(keys, writtenBefore, referenced, cancellationToken)
        + await folder.DeleteUnusedAsync(keys, writtenBefore, referenced, cancellationToken);

    public Task<int> DeleteLeftoversAsync(DateTimeOffset writtenBefore, CancellationToken cancellationToken = default) =>
        folder.DeleteLeftoversAsync(writtenBefore, cancellationToken);

    private sealed class BoundedMemoryStream(int limit) : MemoryStream
    {
        // MemoryStream's span overloads call the array ones in a derived class: each checks, neither forwards to the other.
        public override void Write(byte[] buffer, int offset, int count)
        {
            Check(count);
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Check(buffer.Length);
            base.Write(buffer);
        }

        public override void WriteByte(byte value)
        {
            Check(1);
            base.WriteByte(value);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Check(count);
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Check(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }

        private void Check(int count)
        {
            if (Length + count > limit)
            {
                throw new FullException();
            }
        }

        public sealed class FullException : Exception;
    }
}
