using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;

namespace SendGate.Api.Messages;

/// <summary>mboxrd: the mailbox format mail tools and Python's <c>mailbox</c> read back.</summary>
internal static class Mbox
{
    private static readonly byte[] From = "From "u8.ToArray();

    /// <summary>
    /// Appends one message, read from <paramref name="message"/> line by line: memory is bounded
    /// by the longest line, never by the message.
    /// </summary>
    public static async Task WriteAsync(Stream output, string sender, DateTimeOffset at, Stream message, CancellationToken cancellationToken)
    {
        var separator = $"From {(string.IsNullOrEmpty(sender) ? "MAILER-DAEMON" : sender)} {at.UtcDateTime.ToString("ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture)}\n";
        await output.WriteAsync(Encoding.ASCII.GetBytes(separator), cancellationToken);
        var reader = PipeReader.Create(message, new StreamPipeReaderOptions(bufferSize: 81920, leaveOpen: true));
        var buffer = new ArrayBufferWriter<byte>(81920);
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
