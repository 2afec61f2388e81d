using System.Globalization;
using System.Text;

namespace SendGate.Api.Messages;

/// <summary>mboxrd: the mailbox format mail tools and Python's <c>mailbox</c> read back.</summary>
internal static class Mbox
{
    private static readonly byte[] From = "From "u8.ToArray();

    public static async Task WriteAsync(Stream output, string sender, DateTimeOffset at, byte[] message, CancellationToken cancellationToken)
    {
        var separator = $"From {(string.IsNullOrEmpty(sender) ? "MAILER-DAEMON" : sender)} {at.UtcDateTime.ToString("ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture)}\n";
        await output.WriteAsync(Encoding.ASCII.GetBytes(separator), cancellationToken);
        var start = 0;
        while (start < message.Length)
        {
            var end = Array.IndexOf(message, (byte)'\n', start);
            var lineEnd = end < 0 ? message.Length : end + 1;
            var line = message.AsMemory(start, lineEnd - start);
            // A line that reads as a separator after any number of '>' gets one more.
            var quoted = line.Span.TrimStart((byte)'>');
            if (quoted.StartsWith(From))
            {
                await output.WriteAsync(">"u8.ToArray(), cancellationToken);
            }

            // Lines end in LF inside an mbox; the CR of the stored CRLF is dropped.
            var content = line.Span.EndsWith("\r\n"u8) ? line[..^2] : line.Span.EndsWith("\n"u8) ? line[..^1] : line;
            await output.WriteAsync(content, cancellationToken);
            await output.WriteAsync("\n"u8.ToArray(), cancellationToken);
            start = lineEnd;
        }

        await output.WriteAsync("\n"u8.ToArray(), cancellationToken);
    }
}
