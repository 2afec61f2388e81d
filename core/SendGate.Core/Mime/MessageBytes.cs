using SendGate.Core.Archive;

namespace SendGate.Core.Mime;

/// <summary>
/// A prepared message's MIME bytes, as they will be archived: the submitted bytes themselves for
/// raw MIME and SMTP (no copy), or what MimeKit wrote for JSON — in memory while small, in a
/// temporary file (deleted when disposed) once the message is big, so that a 30 MB JSON
/// submission is not held a second time as MIME on its way to the archive.
/// </summary>
public sealed class MessageBytes : IDisposable
{
    /// <summary>Messages built from JSON above this size are written to a temporary file.</summary>
    public const long InMemoryUpTo = 1024 * 1024;

    private readonly ReadOnlyMemory<byte> _memory;
    private readonly FileStream? _file;

    private MessageBytes(ReadOnlyMemory<byte> memory, FileStream? file)
    {
        _memory = memory;
        _file = file;
        Length = file?.Length ?? memory.Length;
    }

    public long Length { get; }

    /// <summary>The temporary file of a big message, for tests.</summary>
    internal string? SpoolPath => _file?.Name;

    /// <summary>The bytes of a message kept in memory (benchmarks and tests of small mail).</summary>
    internal ReadOnlyMemory<byte> InMemory => _file is null ? _memory : throw new InvalidOperationException("The message is kept in a temporary file.");

    public static MessageBytes Of(ReadOnlyMemory<byte> bytes) => new(bytes, null);

    /// <summary>
    /// Lets <paramref name="write"/> write a message of about <paramref name="expectedLength"/>
    /// bytes: to memory, or to a temporary file when that would be more than <see cref="InMemoryUpTo"/>.
    /// </summary>
    public static MessageBytes Write(long expectedLength, Action<Stream> write)
    {
        if (expectedLength <= InMemoryUpTo)
        {
            var buffer = new MemoryStream((int)Math.Max(expectedLength, 4096));
            write(buffer);
            return new(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), null);
        }

        var file = new FileStream(Path.Combine(Path.GetTempPath(), $"sendgate-{Guid.NewGuid():N}.eml"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 81920, FileOptions.DeleteOnClose);
        try
        {
            write(file);
            file.Flush();
            return new(ReadOnlyMemory<byte>.Empty, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Stages the bytes in the archive (see <see cref="IBlobStore.StageAsync(ReadOnlyMemory{byte}, CancellationToken)"/>).</summary>
    public Task<StagedBlob> StageAsync(IBlobStore blobs, CancellationToken cancellationToken) =>
        _file is null
            ? blobs.StageAsync(_memory, cancellationToken)
            : blobs.StageAsync(async target =>
            {
                _file.Position = 0;
                await _file.CopyToAsync(target, 81920, cancellationToken);
            }, cancellationToken);

    public void Dispose() => _file?.Dispose();
}
