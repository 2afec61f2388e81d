using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SendGate.Core;
using SendGate.Core.Archive;
using SendGate.Core.Messages;
using SendGate.Core.Mime;

namespace SendGate.UnitTests.Mime;

/// <summary>
/// Big mail passes through intake without a copy per stage: a JSON attachment is decoded from the
/// body's UTF-8 bytes (no .NET string of it), a big message built from JSON waits for the archive in
/// a temporary file, and raw MIME is parsed as a view of the submitted bytes.
/// </summary>
public sealed class BigMailIntakeTests : IDisposable
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "sendgate-bigmail-tests", Guid.NewGuid().ToString("N"));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 9, 0, 0, TimeSpan.Zero));

    private MessageIntake Intake => new(Options.Create(new LimitsOptions()), _time);

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData("\"aGVsbG8gd29ybGQ=\"", "hello world")]
    [InlineData("\"aGVsbG8g\\r\\nd29ybGQ=\"", "hello world")]     // line-wrapped, as mail tooling writes it
    [InlineData("\"aGVs bG8g d29y bGQ=\"", "hello world")]        // white space between groups
    [InlineData("\"aGVsbG8gd29ybGQ\\u003d\"", "hello world")]     // an escaped character
    [InlineData("\"\"", "")]
    public void Content_is_decoded_from_the_json_string(string json, string expected)
    {
        var content = JsonSerializer.Deserialize<Base64Content>(json, Web)!;

        Assert.Equal(expected, Encoding.UTF8.GetString(Assert.IsType<byte[]>(content.Bytes)));
    }

    [Theory]
    [InlineData("\"not base64!\"")]
    [InlineData("\"aGVsbG8\"")]          // cut short
    [InlineData("\"aGVsbG8gd29ybGQ=x\"")]
    public void Content_that_is_not_base64_has_no_bytes(string json) =>
        Assert.Null(JsonSerializer.Deserialize<Base64Content>(json, Web)!.Bytes);

    [Fact]
    public void Content_of_another_json_type_is_refused_at_its_member()
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<MessageRequest>(
            """{"attachments":[{"filename":"a.bin","content":42}]}""", Web));

        Assert.Equal("$.attachments[0].content", error.Path);
    }

    [Fact]
    public async Task A_big_message_from_json_waits_in_a_temporary_file_and_is_archived_byte_for_byte()
    {
        var file = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var json = JsonSerializer.Serialize(new
        {
            from = "sender@example.co.jp",
            to = new[] { "someone@example.com" },
            subject = "大きな添付",
            text = "添付をご確認ください。",
            attachments = new[] { new { filename = "図面.bin", contentType = "application/octet-stream", content = Convert.ToBase64String(file) } },
        });
        var request = JsonSerializer.Deserialize<MessageRequest>(Encoding.UTF8.GetBytes(json), Web)!;

        var result = Intake.FromJson(request, "msg_big");
        var prepared = Assert.IsType<PreparedMessage>(result.Message);
        var written = new MemoryStream();
        prepared.Mime.WriteTo(MessageIntake.WriteFormat, written);
        Assert.Throws<InvalidOperationException>(() => prepared.Raw.InMemory);
        Assert.Equal(written.Length, prepared.Raw.Length);

        var blobs = new FolderBlobStore(Options.Create(new ArchiveOptions { BlobFolder = _root }), _time, new BlobFiles());
        var staged = await prepared.Raw.StageAsync(blobs, CancellationToken.None);
        await using (var stored = await blobs.OpenAsync(staged.Key))
        {
            var copy = new MemoryStream();
            await stored!.CopyToAsync(copy);
            Assert.Equal(written.ToArray(), copy.ToArray());
        }

        var part = Assert.IsType<MimePart>(MimeMessage.Load(new MemoryStream(written.ToArray())).Attachments.Single());
        var decoded = new MemoryStream();
        part.Content!.DecodeTo(decoded);
        Assert.Equal(file, decoded.ToArray());
        Assert.Equal("図面.bin", part.FileName);

        var temporary = Assert.IsType<string>(prepared.Raw.SpoolPath);
        Assert.True(File.Exists(temporary));
        prepared.Dispose();
        Assert.False(File.Exists(temporary));
    }

    [Fact]
    public void Ordinary_mail_from_json_stays_in_memory()
    {
        var request = new MessageRequest
        {
            From = "sender@example.co.jp",
            To = ["someone@example.com"],
            Subject = "見積書",
            Text = "本文",
            Attachments = [new AttachmentRequest { Filename = "見積書.pdf", ContentType = "application/pdf", Content = Convert.ToBase64String("%PDF-1.7"u8) }],
        };

        using var prepared = Intake.FromJson(request, "msg_small").Message!;

        var written = new MemoryStream();
        prepared.Mime.WriteTo(MessageIntake.WriteFormat, written);
        Assert.Equal(written.ToArray(), prepared.Raw.InMemory.ToArray());
    }

    [Fact]
    public void Raw_mime_is_kept_as_submitted_and_its_parts_read_from_those_bytes()
    {
        var file = RandomNumberGenerator.GetBytes(200_000);
        var raw = Encoding.ASCII.GetBytes(
            "From: sender@example.co.jp\r\nTo: someone@example.com\r\nSubject: parts\r\nMIME-Version: 1.0\r\n" +
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n" +
            "Content-Type: application/octet-stream; name=\"a.bin\"\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\n" +
            "Content-Transfer-Encoding: base64\r\n\r\n" + Convert.ToBase64String(file, Base64FormattingOptions.InsertLineBreaks) + "\r\n--b--\r\n");

        using var prepared = Intake.FromMime(raw, "msg_raw").Message!;

        Assert.True(prepared.Raw.InMemory.Span.SequenceEqual(raw));
        var decoded = new MemoryStream();
        ((MimePart)prepared.Mime.Attachments.Single()).Content!.DecodeTo(decoded);
        Assert.Equal(file, decoded.ToArray());
        // The part's content is a view of the submitted bytes, not a copy of them.
        Assert.IsNotType<MimeKit.IO.MemoryBlockStream>(((MimePart)prepared.Mime.Attachments.Single()).Content!.Stream);
    }

    private static byte[] MultipartWith(byte[] file, string partHeaders = "") => Encoding.ASCII.GetBytes(
        "From: sender@example.co.jp\r\nTo: someone@example.com\r\nSubject: parts\r\nMessage-ID: <big@example.co.jp>\r\nMIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n" + partHeaders +
        "Content-Type: application/octet-stream; name=\"a.bin\"\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\n" +
        "Content-Transfer-Encoding: base64\r\n\r\n" + Convert.ToBase64String(file, Base64FormattingOptions.InsertLineBreaks) + "\r\n--b--\r\n");

    /// <summary>The server's buffer as SMTP hands it over: several segments, not one array.</summary>
    private static System.Buffers.ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentLength)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentLength)
        {
            var next = new Segment(bytes.AsMemory(offset, Math.Min(segmentLength, bytes.Length - offset)), last);
            first ??= next;
            last = next;
        }

        return new System.Buffers.ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }

    [Fact]
    public async Task A_big_message_received_over_smtp_waits_in_a_temporary_file_and_is_archived_byte_for_byte()
    {
        var file = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
        var body = MultipartWith(file);
        var trace = "Received: from [127.0.0.1] by mx (SendGate) with ESMTP id msg_smtp;\r\n\tFri, 04 Dec 2026 09:00:00 +0000\r\n"u8.ToArray();

        var raw = MessageBytes.Received(trace, Segmented(body, 4096));
        var prepared = Assert.IsType<PreparedMessage>(Intake.FromSmtp(raw, "msg_smtp", "sender@example.co.jp", ["someone@example.com"]).Message);

        var temporary = Assert.IsType<string>(prepared.Raw.SpoolPath);
        Assert.Equal(trace.Length + body.Length, prepared.Raw.Length);
        Assert.Equal("parts", prepared.Subject);
        var decoded = new MemoryStream();
        ((MimePart)prepared.Mime.Attachments.Single()).Content!.DecodeTo(decoded);
        Assert.Equal(file, decoded.ToArray());

        // Staging reads the same file from its start; the parts stay readable after it.
        var blobs = new FolderBlobStore(Options.Create(new ArchiveOptions { BlobFolder = _root }), _time, new BlobFiles());
        var staged = await prepared.Raw.StageAsync(blobs, CancellationToken.None);
        await using (var stored = await blobs.OpenAsync(staged.Key))
        {
            var copy = new MemoryStream();
            await stored!.CopyToAsync(copy);
            Assert.Equal([.. trace, .. body], copy.ToArray());
        }

        decoded.SetLength(0);
        ((MimePart)prepared.Mime.Attachments.Single()).Content!.DecodeTo(decoded);
        Assert.Equal(file, decoded.ToArray());

        prepared.Dispose();
        Assert.False(File.Exists(temporary));
    }

    [Fact]
    public void A_small_message_received_over_smtp_stays_in_memory()
    {
        var body = MultipartWith(RandomNumberGenerator.GetBytes(10_000));

        using var prepared = Intake.FromSmtp(MessageBytes.Received("Received: x\r\n"u8, Segmented(body, 1000)), "msg_small", "sender@example.co.jp", ["someone@example.com"]).Message!;

        Assert.True(prepared.Raw.InMemory.Span.SequenceEqual([.. "Received: x\r\n"u8, .. body]));
    }

    [Fact]
    public void A_hostile_part_header_deep_in_a_big_message_received_over_smtp_is_refused()
    {
        // A part's header section of 2,000 folded lines, found by reading the temporary file in chunks.
        var folded = "X-Long: a" + string.Concat(Enumerable.Repeat("\r\n b", 2000)) + "\r\n";
        var body = MultipartWith(RandomNumberGenerator.GetBytes(2 * 1024 * 1024), folded);

        using var raw = MessageBytes.Received([], Segmented(body, 65536));
        var result = Intake.FromSmtp(raw, "msg_hostile", "sender@example.co.jp", ["someone@example.com"]);

        Assert.NotNull(raw.SpoolPath);
        Assert.Null(result.Message);
        var violation = Assert.Single(result.Violations);
        Assert.Equal(ViolationCode.HeaderLimit, violation.Code);
        Assert.Contains("header section of a part", violation.Message);
    }
}
