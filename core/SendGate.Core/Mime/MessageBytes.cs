using System.Buffers;
using System.Runtime.InteropServices;
using SendGate.Core.Archive;

namespace SendGate.Core.Mime;

/// <summary>
/// A prepared message's MIME bytes, as they will be archived: the submitted bytes themselves for
/// raw MIME (no copy), or what MimeKit wrote for JSON, or what SMTP received — in memory while
/// small, in a temporary file (deleted when disposed) once the message is big, so that a 30 MB
/// submission is not held a second time on its way to the archive.
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
    /// A message as the SMTP door received it: <paramref name="head"/> (the trace line SendGate
    /// adds) above <paramref name="body"/>, the server's buffer, which is released once the reply is
    /// given. A big one goes to a temporary file instead of a second copy in memory.
    /// </summary>
    public static MessageBytes Received(ReadOnlySpan<byte> head, ReadOnlySequence<byte> body)
    {
        var length = head.Length + body.Length;
        if (length <= InMemoryUpTo)
        {
            var raw = new byte[length];
            head.CopyTo(raw);
            body.CopyTo(raw.AsSpan(head.Length));
            return new(raw, null);
        }

        var file = CreateTemporaryFile();
        try
        {
            file.Write(head);
            foreach (var segment in body)
            {
                file.Write(segment.Span);
            }

            file.Flush();
            return new(ReadOnlyMemory<byte>.Empty, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The bytes as a stream for MimeKit to parse, from the start. A big message's stream is its
    /// temporary file itself: a persistent MimeKit part seeks it before each read, so the parts stay
    /// readable beside <see cref="StageAsync"/>, which reads it from the start too. Not disposed by the caller.
    /// </summary>
    internal Stream OpenRead()
    {
        if (_file is not null)
        {
            _file.Position = 0;
            return _file;
        }

        return MemoryMarshal.TryGetArray(_memory, out var array)
            ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
            : new MemoryStream(_memory.ToArray(), writable: false);
    }

    /// <summary>The bytes from <paramref name="offset"/> into <paramref name="buffer"/>, without moving <see cref="OpenRead"/>'s position.</summary>
    internal int ReadAt(long offset, Span<byte> buffer)
    {
        if (_file is not null)
        {
            return RandomAccess.Read(_file.SafeFileHandle, buffer, offset);
        }

        if (offset >= _memory.Length)
        {
            return 0;
        }

        var available = _memory.Span[(int)offset..];
        var count = Math.Min(available.Length, buffer.Length);
        available[..count].CopyTo(buffer);
        return count;
    }

    /// <summary>The bytes from <paramref name="offset"/> when they are in memory (no copy); false for a temporary file.</summary>
    internal bool TryGetSpan(long offset, out ReadOnlySpan<byte> span)
    {
        span = _file is null ? _memory.Span[(int)Math.Min(offset, _memory.Length)..] : default;
        return _file is null;
    }

    private static FileStream CreateTemporaryFile() =>
        new(Path.Combine(Path.GetTempPath(), $"sendgate-{Guid.NewGuid():N}.eml"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 81920, FileOptions.DeleteOnClose);

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

        var file = CreateTemporaryFile();
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
