using System.Text;
using System.Text.Json;
using MimeKit;

namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>
/// Compares a message as the relay received it with the one that was submitted, as MimeKit
/// parses both: same MIME tree, same headers on the message and on every part (Bcc gone;
/// Message-ID, Date and MIME-Version added only where the original had none), same decoded text
/// and attachment bytes, and the envelope taken from the headers.
/// </summary>
/// <remarks>
/// What SMTP itself may change is allowed, and nothing else: line endings are CRLF on the wire;
/// and MailKit's <c>SmtpClient</c> runs <c>MimeMessage.Prepare</c>, which gives a part with no (or
/// a 7bit/8bit) Content-Transfer-Encoding a transport-safe base64 or quoted-printable one, or labels
/// a "7bit" part that holds 8-bit bytes as 8bit, with the same decoded content.
/// </remarks>
internal static class MimeFidelity
{
    private static readonly HashSet<ContentEncoding> LineBased =
        [ContentEncoding.Default, ContentEncoding.SevenBit, ContentEncoding.EightBit, ContentEncoding.QuotedPrintable];

    public static void AssertDeliveredUnchanged(byte[] submitted, ReceivedMail mail, JsonElement details)
    {
        // Both as they travel: CRLF line endings and a final CRLF (a bare LF can also change how
        // MimeKit reads a broken header line); the relay's copy gets back the CRLF that ends the
        // last line, which the test server takes as part of the CRLF.CRLF end-of-data marker.
        var original = Parse(OnTheWire(submitted));
        var received = Parse([.. mail.Raw, (byte)'\r', (byte)'\n']);

        Assert.Equal(details.Str("envelopeFrom"), mail.From);
        var expectedRecipients = original.To.Mailboxes.Concat(original.Cc.Mailboxes).Concat(original.Bcc.Mailboxes)
            .Select(m => m.Address).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase);
        Assert.Equal(expectedRecipients, mail.To.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);

        Assert.DoesNotContain(received.Headers, h => h.Id == HeaderId.Bcc);
        var expected = original.Headers.Where(h => h.Id != HeaderId.Bcc).Select(Describe).ToList();
        var actual = received.Headers.Select(Describe).ToList();
        if (!original.Headers.Contains(HeaderId.MessageId))
        {
            var added = Assert.Single(received.Headers, h => h.Id == HeaderId.MessageId);
            Assert.Equal(details.Str("messageId"), received.MessageId);
            actual.Remove(Describe(added));
        }

        if (!original.Headers.Contains(HeaderId.Date))
        {
            var added = Assert.Single(received.Headers, h => h.Id == HeaderId.Date);
            Assert.Equal(details.GetProperty("createdAt").GetDateTimeOffset(), received.Date);
            actual.Remove(Describe(added));
        }

        RemoveAddedMimeVersion(original, received, actual);
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));

        var originalEntities = Walk(original.Body);
        var receivedEntities = Walk(received.Body);
        Assert.Equal(originalEntities.Select(e => e.Path), receivedEntities.Select(e => e.Path));
        for (var i = 0; i < originalEntities.Count; i++)
        {
            AssertSameEntity(originalEntities[i], receivedEntities[i]);
        }
    }

    /// <summary>
    /// MimeKit writes MIME-Version: 1.0 when the body has MIME headers and the message lacks it
    /// (RFC 2045 4), on the message and on every attached one; that header, and no other, may be added.
    /// </summary>
    private static void RemoveAddedMimeVersion(MimeMessage original, MimeMessage received, List<string> receivedHeaders)
    {
        if (!original.Headers.Contains(HeaderId.MimeVersion) && received.Headers.Contains(HeaderId.MimeVersion))
        {
            var added = Assert.Single(received.Headers, h => h.Id == HeaderId.MimeVersion);
            Assert.Equal("1.0", added.Value.Trim());
            receivedHeaders.Remove(Describe(added));
        }
    }

    public static MimeMessage Parse(byte[] raw)
    {
        using var stream = new MemoryStream(raw, writable: false);
        return MimeMessage.Load(stream);
    }

    private static void AssertSameEntity(Node original, Node received)
    {
        var where = original.Path;
        var originalHeaders = original.Entity.Headers.Where(h => h.Id != HeaderId.ContentTransferEncoding).Select(Describe).Order(StringComparer.Ordinal);
        var receivedHeaders = received.Entity.Headers.Where(h => h.Id != HeaderId.ContentTransferEncoding).Select(Describe).Order(StringComparer.Ordinal);
        Assert.True(originalHeaders.SequenceEqual(receivedHeaders),
            $"{where}: headers differ\n  sent:     {string.Join(" | ", originalHeaders)}\n  received: {string.Join(" | ", receivedHeaders)}");

        if (original.Entity is MessagePart originalMessage)
        {
            // An attached message is content: its headers must arrive exactly, Bcc included; only the
            // MIME-Version that MimeKit writes on every message it serialises may be added, as above.
            var inner = ((MessagePart)received.Entity).Message;
            var innerHeaders = inner?.Headers.Select(Describe).ToList();
            if (originalMessage.Message is { } sent && inner is not null && innerHeaders is not null)
            {
                RemoveAddedMimeVersion(sent, inner, innerHeaders);
            }

            Assert.Equal(originalMessage.Message?.Headers.Select(Describe), innerHeaders);
        }

        if (original.Entity is not MimePart part)
        {
            return;
        }

        var receivedPart = (MimePart)received.Entity;
        var encoding = part.ContentTransferEncoding;
        var reencoded = receivedPart.ContentTransferEncoding;
        Assert.True(encoding == reencoded || (encoding is ContentEncoding.Default or ContentEncoding.SevenBit or ContentEncoding.EightBit
                && reencoded is ContentEncoding.Base64 or ContentEncoding.QuotedPrintable or ContentEncoding.EightBit),
            $"{where}: Content-Transfer-Encoding {encoding} became {reencoded}");
        Assert.True(part.FileName == receivedPart.FileName, $"{where}: filename '{part.FileName}' became '{receivedPart.FileName}'");

        if (part is TextPart text)
        {
            var receivedText = Assert.IsAssignableFrom<TextPart>(receivedPart);
            Assert.True(Lines(text.Text) == Lines(receivedText.Text), $"{where}: decoded text differs");
        }
        else if (LineBased.Contains(encoding))
        {
            // Line-based content: its line breaks are CRLF on the wire, whatever the file had.
            Assert.True(Lines(Encoding.Latin1.GetString(Decoded(part))) == Lines(Encoding.Latin1.GetString(Decoded(receivedPart))),
                $"{where}: decoded content differs");
        }
        else
        {
            Assert.True(Decoded(part).AsSpan().SequenceEqual(Decoded(receivedPart)), $"{where}: decoded bytes differ");
        }
    }

    /// <summary>Text with line breaks as LF and without trailing ones (where a part ends is the boundary's business).</summary>
    private static string Lines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');

    private static byte[] Decoded(MimePart part)
    {
        if (part.Content is null)
        {
            return [];
        }

        using var buffer = new MemoryStream();
        part.Content.DecodeTo(buffer);
        return buffer.ToArray();
    }

    private sealed record Node(string Path, MimeEntity Entity);

    /// <summary>Every entity of the tree in order, each with its path of content types ("multipart/mixed/1:text/plain").</summary>
    private static List<Node> Walk(MimeEntity? body)
    {
        var nodes = new List<Node>();
        Visit(body, "");
        return nodes;

        void Visit(MimeEntity? entity, string parent)
        {
            if (entity is null)
            {
                nodes.Add(new Node($"{parent}(no body)", new TextPart()));
                return;
            }

            var path = $"{parent}{entity.ContentType.MimeType}";
            nodes.Add(new Node(path, entity));
            switch (entity)
            {
                case Multipart multipart:
                    for (var i = 0; i < multipart.Count; i++)
                    {
                        Visit(multipart[i], $"{path}/{i}:");
                    }

                    break;
                case MessagePart { Message: { } inner }:
                    Visit(inner.Body, $"{path}/");
                    break;
            }
        }
    }

    private static byte[] OnTheWire(byte[] raw)
    {
        var result = new List<byte>(raw.Length + (raw.Length / 40) + 2);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
            {
                result.Add((byte)'\r');
            }

            result.Add(raw[i]);
        }

        if (result.Count < 2 || result[^2] != '\r' || result[^1] != '\n')
        {
            result.AddRange("\r\n"u8.ToArray());
        }

        return [.. result];
    }

    /// <summary>Name and raw value: a header that was re-encoded or re-folded shows.</summary>
    private static string Describe(Header header) => $"{header.Field}:{Encoding.Latin1.GetString(header.RawValue)}";
}
