using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using SendGate.Core.Messages;

namespace SendGate.Core.Archive;

/// <summary>mboxrd: the mailbox format mail tools and Python's <c>mailbox</c> read back.</summary>
internal static class Mbox
{
    private static readonly byte[] From = "From "u8.ToArray();

    /// <summary>
    /// Appends one message, read from <paramref name="message"/> line by line: memory is bounded
    /// by the longest line, never by the message. <paramref name="scratch"/>, when given, is reused
    /// from one message to the next (an export of many small messages then allocates next to nothing).
    /// </summary>
    public static async Task WriteAsync(Stream output, string sender, DateTimeOffset at, Stream message, CancellationToken cancellationToken,
        ArrayBufferWriter<byte>? scratch = null)
    {
        var separator = $"From {(string.IsNullOrEmpty(sender) ? "MAILER-DAEMON" : sender)} {at.UtcDateTime.ToString("ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture)}\n";
        await output.WriteAsync(Encoding.ASCII.GetBytes(separator), cancellationToken);
        // Buffers come from the shared pool and go back when the reader completes.
        var reader = PipeReader.Create(message, new StreamPipeReaderOptions(bufferSize: 81920, leaveOpen: true));
        var buffer = scratch ?? new ArrayBufferWriter<byte>(81920);
        buffer.ResetWrittenCount();
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var data = result.Buffer;
            while (data.PositionOf((byte)'\n') is { } newline)
            {
                AppendLine(buffer, data.Slice(0, newline));
                data = data.Slice(data.GetPosition(1, newline));
            }

            if (result.IsCompleted && !data.IsEmpty)
            {
                AppendLine(buffer, data);
                data = data.Slice(data.End);
            }

            reader.AdvanceTo(data.Start, data.End);
            if (buffer.WrittenCount >= 65536 || result.IsCompleted)
            {
                await output.WriteAsync(buffer.WrittenMemory, cancellationToken);
                buffer.ResetWrittenCount();
            }

            if (result.IsCompleted)
            {
                break;
            }
        }

        await reader.CompleteAsync();
        await output.WriteAsync("\n"u8.ToArray(), cancellationToken);
    }

    /// <summary>One line without its LF: a line that reads as a separator after any number of '>' gets one more.</summary>
    private static void AppendLine(ArrayBufferWriter<byte> output, ReadOnlySequence<byte> line)
    {
        var probe = new SequenceReader<byte>(line);
        probe.AdvancePast((byte)'>');
        if (probe.IsNext(From))
        {
            output.Write(">"u8);
        }

        // Lines end in LF inside an mbox; the CR of the stored CRLF is dropped.
        if (!line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        foreach (var segment in line)
        {
            output.Write(segment.Span);
        }

        output.Write("\n"u8);
    }
}

/// <summary>
/// Writes every message a search finds (newest first) as one mboxrd stream: a page of the search
/// at a time and each message line by line, so memory stays flat whatever the size of the export.
/// </summary>
public sealed class MboxExport(MessageStore store, MessageSearch search, SentCopies sentCopies, IBlobStore blobs)
{
    /// <summary>
    /// <paramref name="sent"/> writes what relays received (one entry per relay transaction, dated when
    /// it was sent) instead of the originals as submitted; a message whose content was purged is skipped.
    /// </summary>
    public async Task WriteAsync(Stream output, string tenantId, MessageFilter filter, bool sent, CancellationToken cancellationToken)
    {
        var scratch = new ArrayBufferWriter<byte>(81920);
        var page = filter;
        while (true)
        {
            var rows = await search.ListAsync(tenantId, page, cancellationToken);
            foreach (var row in rows)
            {
                if (sent)
                {
                    foreach (var copy in await sentCopies.ForMessageAsync(tenantId, row.Id, cancellationToken))
                    {
                        await using var copyContent = await blobs.OpenAsync(copy.BlobKey, cancellationToken);
                        if (copyContent is not null)
                        {
                            await Mbox.WriteAsync(output, row.EnvelopeFrom, Clock.FromMs(copy.SentAt), copyContent, cancellationToken, scratch);
                        }
                    }

                    continue;
                }

                await using var original = await store.OpenOriginalAsync(tenantId, row.Id, cancellationToken);
                if (original is not null)
                {
                    await Mbox.WriteAsync(output, row.EnvelopeFrom, Clock.FromMs(row.CreatedAt), original, cancellationToken, scratch);
                }
            }

            if (rows.Count < page.Limit)
            {
                return;
            }

            page = page with { Before = (rows[^1].CreatedAt, rows[^1].Id) };
        }
    }
}
