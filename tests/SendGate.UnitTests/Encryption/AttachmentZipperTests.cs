using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using SendGate.Core.Encryption;
using SendGate.Core.Mime;
using SendGate.Tests.ExternalTools;

namespace SendGate.UnitTests.Encryption;

/// <summary>
/// Every zip is checked the way a recipient meets it: the message is written, parsed again, the
/// zip part decoded to a file and opened with a real unzipper (7-Zip's 7zz, Info-ZIP's unzip).
/// </summary>
public sealed class AttachmentZipperTests : IDisposable
{
    private const string Password = "Kx7mPq2RsT9w";
    private static readonly DateTimeOffset At = new(2026, 12, 1, 9, 30, 0, TimeSpan.FromHours(9));
    private readonly string _dir = Directory.CreateTempSubdirectory("sendgate-zip-").FullName;


    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException) when (!OperatingSystem.IsWindows())
        {
            // .NET cannot name files whose names are not UTF-8 (extracted CP932 names).
            ExternalTool.Run("rm", ["-rf", _dir]);
        }
    }

    [ToolTheory("7zz", "find", "cat")]
    [InlineData("zipCrypto", "utf8")]
    [InlineData("zipCrypto", "cp932")]
    [InlineData("aes256", "utf8")]
    [InlineData("aes256", "cp932")]
    public void Seven_zip_extracts_each_method_and_name_encoding(string method, string names)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["見積書_2026年度.pdf"] = RandomNumberGenerator.GetBytes(200_000),
            ["議事録.txt"] = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("第3回 定例会議の議事録です。\r\n", 2_000))),
            ["report 1.xlsx"] = RandomNumberGenerator.GetBytes(10_000),
        };
        var message = NewMessage([.. files.Select(f => Attachment(f.Key, f.Value))]);

        var zipped = Zip(message, Options(method, names));

        Assert.Equal(files.Keys, zipped.Result.Encrypted);
        Assert.Empty(zipped.Result.PassedThrough);
        Assert.Equal(zipped.ZipBytes.Length, zipped.Result.ZipBytes);
        var entries = CentralDirectory.Read(zipped.ZipBytes);
        Assert.All(entries, entry =>
        {
            Assert.True(entry.Encrypted);
            Assert.Equal(names == "utf8", entry.LanguageEncodingFlag);
            // AES entries say 99 (the real method sits in the AES extra field); otherwise random
            // content is stored (it does not compress) and text deflated.
            Assert.Contains(entry.Method, method == "aes256" ? new[] { 99 } : new[] { 0, 8 });
            Assert.Equal(3, entry.HostSystem);
            Assert.Equal((9 << 11) | (30 << 5), entry.DosTime);
            Assert.Equal(((2026 - 1980) << 9) | (12 << 5) | 1, entry.DosDate);
        });
        if (method == "zipCrypto")
        {
            Assert.Equal([0, 8, 0], entries.Select(e => e.Method));
        }

        AssertExtractsWith7Zip(zipped.SaveZip(_dir), names, files);
    }

    [ToolFact("unzip")]
    public void Info_zip_opens_the_zip_crypto_variant_with_utf8_names()
    {
        var files = new Dictionary<string, byte[]>
        {
            ["請求書 12月分.pdf"] = RandomNumberGenerator.GetBytes(50_000),
            ["readme.txt"] = "plain text\r\n"u8.ToArray(),
        };
        var zipped = Zip(NewMessage([.. files.Select(f => Attachment(f.Key, f.Value))]), Options("zipCrypto", "utf8"));
        var output = Path.Combine(_dir, "unzip");

        var run = ExternalTool.Run("unzip", ["-P", Password, "-d", output, zipped.SaveZip(_dir)]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(files.Keys.Order(), Directory.GetFiles(output).Select(Path.GetFileName).Order());
        Assert.All(files, file => Assert.Equal(file.Value, File.ReadAllBytes(Path.Combine(output, file.Key))));
    }

    [ToolTheory("7zz")]
    [InlineData("zipCrypto")]
    [InlineData("aes256")]
    public void Seven_zip_refuses_a_wrong_password(string method)
    {
        var zipped = Zip(NewMessage(Attachment("a.pdf", RandomNumberGenerator.GetBytes(1_000))), Options(method, "utf8"));

        var run = ExternalTool.Run("7zz", ["x", "-pWrong-Password", $"-o{Path.Combine(_dir, "out")}", "-y", zipped.SaveZip(_dir)]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Wrong password", run.StdOut + run.StdErr, StringComparison.Ordinal);
    }

    [ToolFact("unzip")]
    public void Info_zip_refuses_a_wrong_password()
    {
        var zipped = Zip(NewMessage(Attachment("a.pdf", RandomNumberGenerator.GetBytes(1_000))), Options("zipCrypto", "utf8"));
        var output = Path.Combine(_dir, "out");

        var run = ExternalTool.Run("unzip", ["-P", "Wrong-Password", "-d", output, zipped.SaveZip(_dir)]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.False(File.Exists(Path.Combine(output, "a.pdf")) && new FileInfo(Path.Combine(output, "a.pdf")).Length > 0);
    }

    [ToolTheory("7zz", "find", "cat")]
    [InlineData("utf8")]
    [InlineData("cp932")]
    public void Japanese_names_from_iso_2022_jp_and_utf8_headers_reach_the_zip(string names)
    {
        // Three ways Japanese mailers name attachments: RFC 2231 in ISO-2022-JP, an RFC 2047
        // encoded-word in ISO-2022-JP (not allowed in parameters, still common), RFC 2231 in UTF-8.
        var pdf = RandomNumberGenerator.GetBytes(3_000);
        var docx = RandomNumberGenerator.GetBytes(2_000);
        var xlsx = RandomNumberGenerator.GetBytes(1_000);
        var mime = $"""
            From: sender@example.jp
            To: customer@example.com
            Subject: =?ISO-2022-JP?B?GyRCOGVAUTtxGyhC?=
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b1"

            --b1
            Content-Type: text/plain; charset=ISO-2022-JP
            Content-Transfer-Encoding: 7bit

            Please see the attachments.
            --b1
            Content-Type: application/pdf
            Content-Disposition: attachment; filename*=ISO-2022-JP''%1B%24B%40A5a%3Dq%1B%28B.pdf
            Content-Transfer-Encoding: base64

            {Convert.ToBase64String(pdf, Base64FormattingOptions.InsertLineBreaks)}
            --b1
            Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;
             name="=?ISO-2022-JP?B?GyRCNUQ7dk8/IUpCaBsoQjMbJEIycyFLGyhCLmRvY3g=?="
            Content-Disposition: attachment;
             filename="=?ISO-2022-JP?B?GyRCNUQ7dk8/IUpCaBsoQjMbJEIycyFLGyhCLmRvY3g=?="
            Content-Transfer-Encoding: base64

            {Convert.ToBase64String(docx, Base64FormattingOptions.InsertLineBreaks)}
            --b1
            Content-Type: application/vnd.ms-excel
            Content-Disposition: attachment; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.xlsx
            Content-Transfer-Encoding: base64

            {Convert.ToBase64String(xlsx, Base64FormattingOptions.InsertLineBreaks)}
            --b1--

            """.ReplaceLineEndings("\r\n");
        var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(mime)));
        var files = new Dictionary<string, byte[]>
        {
            ["請求書.pdf"] = pdf,
            ["議事録（第3回）.docx"] = docx,
            ["見積書.xlsx"] = xlsx,
        };
        Assert.Equal(files.Keys, message.Attachments.Select(a => ((MimePart)a).FileName));

        var zipped = Zip(message, Options("zipCrypto", names));

        Assert.Equal(files.Keys, zipped.Result.Encrypted);
        AssertExtractsWith7Zip(zipped.SaveZip(_dir), names, files);
    }

    [Fact]
    public void Inline_images_and_bodies_stay_where_they_are_unchanged()
    {
        var original = ParseBack(NewRelatedMessage(withMixed: true));
        var before = BodyPartBytes(original);
        Assert.Equal(3, before.Count);

        var zipped = Zip(original, Options("aes256", "utf8"), "quote.zip", notice: "パスワードは別のメールでお送りします。");

        Assert.Equal(["quote.pdf"], zipped.Result.Encrypted);
        Assert.Equal(before, BodyPartBytes(zipped.Message));
        var mixed = Assert.IsType<Multipart>(zipped.Message.Body);
        Assert.True(mixed.ContentType.IsMimeType("multipart", "mixed"));
        Assert.Equal(3, mixed.Count);
        var related = Assert.IsType<MultipartRelated>(mixed[0]);
        var image = Assert.Single(related.OfType<MimePart>(), p => p.ContentType.IsMimeType("image", "png"));
        Assert.Equal("logo@sendgate", image.ContentId);
        Assert.Equal(ContentDisposition.Inline, image.ContentDisposition?.Disposition);
        var notice = Assert.IsType<TextPart>(mixed[1]);
        Assert.Equal("パスワードは別のメールでお送りします。", notice.Text);
        Assert.Equal("utf-8", notice.ContentType.Charset, ignoreCase: true);
        Assert.False(notice.IsAttachment);
        Assert.Same(zipped.ZipPart, mixed[2]);
        Assert.Equal(ContentEncoding.Base64, zipped.ZipPart.ContentTransferEncoding);
        Assert.Same(zipped.ZipPart, Assert.Single(zipped.Message.Attachments));
        Assert.Equal(["quote.pdf"], CentralDirectory.Read(zipped.ZipBytes).Select(e => Encoding.UTF8.GetString(e.Name)));
    }

    [Fact]
    public void A_body_that_is_not_multipart_mixed_is_wrapped_in_one()
    {
        var original = ParseBack(NewRelatedMessage(withMixed: false));
        var before = BodyPartBytes(original);
        Assert.Equal(3, before.Count);

        var zipped = Zip(original, Options("zipCrypto", "utf8"), "quote.zip");

        var mixed = Assert.IsType<Multipart>(zipped.Message.Body);
        Assert.True(mixed.ContentType.IsMimeType("multipart", "mixed"));
        Assert.IsType<MultipartRelated>(mixed[0]);
        Assert.Same(zipped.ZipPart, mixed[1]);
        Assert.Equal(2, mixed.Count);
        Assert.Equal(before, BodyPartBytes(zipped.Message));
    }

    [Fact]
    public void A_message_that_is_only_an_attachment_gets_a_mixed_body_with_the_zip()
    {
        var message = NewMessage();
        message.Body = Attachment("scan.pdf", RandomNumberGenerator.GetBytes(500));

        var zipped = Zip(message, Options("zipCrypto", "utf8"), "scan.zip");

        var mixed = Assert.IsType<Multipart>(zipped.Message.Body);
        Assert.Same(zipped.ZipPart, Assert.Single(mixed));
        Assert.Equal(["scan.pdf"], zipped.Result.Encrypted);
    }

    [ToolFact("7zz")]
    public void Encrypted_zips_pass_through_when_asked_and_are_zipped_again_otherwise()
    {
        var encrypted = SevenZipEncrypted();
        var plainZip = PlainZip();
        var pdf = RandomNumberGenerator.GetBytes(4_000);
        MimeMessage Build() => NewMessage(
            Attachment("already.zip", encrypted, "application/zip"),
            Attachment("plain.zip", plainZip, "application/x-zip-compressed"),
            Attachment("doc.pdf", pdf, "application/pdf"));

        var passing = Zip(Build(), Options("aes256", "utf8", passThrough: true));

        Assert.Equal(["plain.zip", "doc.pdf"], passing.Result.Encrypted);
        Assert.Equal(["already.zip"], passing.Result.PassedThrough);
        var kept = passing.Message.Attachments.OfType<MimePart>().Where(p => p.FileName == "already.zip");
        Assert.Equal(encrypted, Decoded(Assert.Single(kept)));
        Assert.Equal(2, passing.Message.Attachments.Count());

        var rezipping = Zip(Build(), Options("aes256", "utf8", passThrough: false));

        Assert.Equal(["already.zip", "plain.zip", "doc.pdf"], rezipping.Result.Encrypted);
        Assert.Empty(rezipping.Result.PassedThrough);
        Assert.Same(rezipping.ZipPart, Assert.Single(rezipping.Message.Attachments));
        var output = Path.Combine(_dir, "rezipped");
        var run = ExternalTool.Run("7zz", ["x", $"-p{Password}", $"-o{output}", "-y", rezipping.SaveZip(_dir)]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(encrypted, File.ReadAllBytes(Path.Combine(output, "already.zip")));
    }

    [ToolFact("7zz")]
    public void A_message_whose_only_attachment_is_an_encrypted_zip_is_left_alone()
    {
        var message = NewMessage(Attachment("already.zip", SevenZipEncrypted(), "application/zip"));
        var before = Written(message);
        using var storage = new MemoryStream();

        var result = AttachmentZipper.Apply(message, Options("zipCrypto", "utf8"), Password, "files.zip", At, storage);

        Assert.Null(result);
        Assert.Equal(before, Written(message));
        Assert.Equal(0, storage.Length);
    }

    [Fact]
    public void A_message_without_attachments_is_left_alone()
    {
        var message = ParseBack(NewRelatedMessage(withMixed: false, withAttachment: false));
        var before = Written(message);
        using var storage = new MemoryStream();

        Assert.Null(AttachmentZipper.Apply(message, Options("zipCrypto", "utf8"), Password, "files.zip", At, storage));
        Assert.Equal(before, Written(message));
    }

    [Theory]
    [InlineData("rfc2231")]
    [InlineData("rfc2047")]
    public void The_zip_file_name_is_written_the_chosen_way(string method)
    {
        const string zipName = "添付ファイル_2026年12月.zip";

        var zipped = Zip(NewMessage(Attachment("a.pdf", [1, 2, 3])), Options("zipCrypto", "utf8", fileName: method), zipName);

        var headers = zipped.Text[..zipped.Text.IndexOf("\r\n\r\n", zipped.Text.IndexOf("application/zip", StringComparison.Ordinal), StringComparison.Ordinal)];
        if (method == "rfc2231")
        {
            Assert.Matches(new Regex(@"filename\*(0\*)?=utf-8''%E6%B7%BB", RegexOptions.IgnoreCase), headers);
            Assert.Matches(new Regex(@"\bname\*(0\*)?=utf-8''%E6%B7%BB", RegexOptions.IgnoreCase), headers);
            Assert.DoesNotContain("=?", headers, StringComparison.Ordinal);
        }
        else
        {
            Assert.Matches(new Regex(@"filename=""=\?utf-8\?b\?", RegexOptions.IgnoreCase), headers);
            Assert.Matches(new Regex(@"\bname=""=\?utf-8\?b\?", RegexOptions.IgnoreCase), headers);
            Assert.DoesNotContain("*=", headers, StringComparison.Ordinal);
        }

        Assert.Equal(zipName, zipped.ZipPart.FileName);
        Assert.Equal(zipName, zipped.ZipPart.ContentType.Name);
    }

    [Fact]
    public void Entry_names_are_cleaned_de_duplicated_and_invented_when_missing()
    {
        var unnamed = Attachment("x", [5], "image/png");
        unnamed.FileName = null;
        var message = NewMessage(
            Attachment("a.txt", [1]),
            Attachment("a.txt", [2]),
            Attachment("A.TXT", [3]),
            Attachment("dir/evil\u0001.txt", [4]),
            Attachment(@"C:\temp\x.txt", [6]),
            unnamed,
            Attachment("..", [7], "text/plain"));

        var zipped = Zip(message, Options("zipCrypto", "utf8"));

        string[] expected = ["a.txt", "a (2).txt", "A (3).TXT", "dir_evil_.txt", "C__temp_x.txt", "attachment-6.png", "attachment-7.txt"];
        Assert.Equal(expected, zipped.Result.Encrypted);
        Assert.Equal(expected, CentralDirectory.Read(zipped.ZipBytes).Select(e => Encoding.UTF8.GetString(e.Name)));
    }

    [ToolFact("7zz")]
    public void Attached_messages_become_eml_entries()
    {
        var inner = NewMessage(Attachment("inner.pdf", [1, 2, 3]));
        inner.Subject = "Re: 見積/条件";
        var named = NewMessage();
        named.Subject = "ignored";
        var message = NewMessage(
            new MessagePart { Message = inner, ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) },
            new MessagePart { Message = named, ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = "original.eml" } });
        var expectedInner = Written(inner);
        var expectedNamed = Written(named);

        var zipped = Zip(message, Options("zipCrypto", "utf8"));

        Assert.Equal(["Re_ 見積_条件.eml", "original.eml"], zipped.Result.Encrypted);
        var output = Path.Combine(_dir, "eml");
        var run = ExternalTool.Run("7zz", ["x", $"-p{Password}", $"-o{output}", "-y", zipped.SaveZip(_dir)]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(expectedInner, File.ReadAllBytes(Path.Combine(output, "Re_ 見積_条件.eml")));
        Assert.Equal(expectedNamed, File.ReadAllBytes(Path.Combine(output, "original.eml")));
    }

    /// <summary>
    /// A 25 MB attachment (34 MB as base64 in the message) is decoded, deflated, encrypted into a
    /// temp file and written out again as base64. Everything allocated meanwhile is short-lived
    /// buffers; holding the attachment or the zip whole anywhere would add at least 25 MB on top.
    /// Random content is stored (it does not compress) and allocates under 1 MB; text is deflated,
    /// and SharpZipLib's deflater churns about 1 MB of short-lived buffers. The bounds leave a few
    /// MB of room over those measurements and stay far below one copy of the attachment.
    /// </summary>
    [Theory]
    [InlineData("zipCrypto", "random", 4)]
    [InlineData("aes256", "random", 4)]
    [InlineData("zipCrypto", "text", 4)]
    [InlineData("aes256", "text", 4)]
    public void A_large_attachment_streams_through_without_being_held_in_memory(string method, string kind, int boundMegabytes)
    {
        const int size = 25 * 1024 * 1024;
        var content = kind == "random" ? RandomNumberGenerator.GetBytes(size) : LargeText(size);
        using var raw = new MemoryStream(Written(NewMessage(Attachment("big.bin", content))));

        // Persistent parsing leaves the content in the source stream, as loading a stored message does.
        var message = MimeMessage.Load(raw, persistent: true);
        using var storage = TempStorage();
        var before = GC.GetAllocatedBytesForCurrentThread();

        var result = AttachmentZipper.Apply(message, Options(method, "utf8"), Password, "big.zip", At, storage);
        message.WriteTo(MessageIntake.WriteFormat, Stream.Null);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.NotNull(result);
        Assert.True(allocated < boundMegabytes * 1024L * 1024, $"allocated {allocated:N0} bytes for a {size:N0}-byte attachment");
    }

    private static byte[] LargeText(int size)
    {
        var text = new StringBuilder(size + 100);
        for (var line = 0; text.Length < size; line++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{line:D7},見積書,{line * 7919 % 100_003},quantity {line % 97},unit price {line % 1_000}.00\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString())[..size];
    }

    [Fact]
    public void Bad_arguments_are_refused_before_anything_changes()
    {
        var message = NewMessage(Attachment("a.pdf", [1]));
        var before = Written(message);
        using var storage = new MemoryStream();

        Assert.Throws<ArgumentException>(() => AttachmentZipper.Apply(message, Options("rc4", "utf8"), Password, "a.zip", At, storage));
        Assert.Throws<ArgumentException>(() => AttachmentZipper.Apply(message, Options("zipCrypto", "sjis"), Password, "a.zip", At, storage));
        Assert.Throws<ArgumentException>(() => AttachmentZipper.Apply(message, Options("zipCrypto", "utf8", fileName: "mime"), Password, "a.zip", At, storage));
        Assert.Throws<ArgumentException>(() => AttachmentZipper.Apply(message, Options("zipCrypto", "utf8") with { CompressionLevel = 10 }, Password, "a.zip", At, storage));
        Assert.Throws<ArgumentException>(() => AttachmentZipper.Apply(message, Options("zipCrypto", "utf8"), "パスワード", "a.zip", At, storage));
        Assert.Throws<ArgumentException>(() => AttachmentZipper.Apply(message, Options("zipCrypto", "utf8"), "", "a.zip", At, storage));
        storage.WriteByte(1);
        Assert.Throws<ArgumentException>(() => AttachmentZipper.Apply(message, Options("zipCrypto", "utf8"), Password, "a.zip", At, storage));
        Assert.Equal(before, Written(message));
    }

    [Fact]
    public void Passwords_use_the_alphabet_without_look_alikes()
    {
        Assert.Equal(56, ZipPassword.Alphabet.Length);
        Assert.Equal(ZipPassword.Alphabet.Length, ZipPassword.Alphabet.Distinct().Count());
        Assert.All(ZipPassword.Alphabet, c => Assert.True(char.IsAsciiLetterOrDigit(c)));
        Assert.DoesNotContain(ZipPassword.Alphabet, c => "0Oo1lI".Contains(c, StringComparison.Ordinal));

        var samples = Enumerable.Range(0, 200).Select(_ => ZipPassword.Generate(64)).ToList();

        Assert.All(samples, p => Assert.All(p, c => Assert.Contains(c, ZipPassword.Alphabet)));

        // 12,800 draws, about 229 of each character: one missing would mean a broken picker.
        Assert.Equal(ZipPassword.Alphabet.Order(), samples.SelectMany(p => p).Distinct().Order());
    }

    [Fact]
    public void Passwords_have_the_asked_length_and_do_not_repeat()
    {
        Assert.Equal(12, ZipPassword.Generate().Length);
        Assert.Equal(64, ZipPassword.Generate(64).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => ZipPassword.Generate(11));
        Assert.Throws<ArgumentOutOfRangeException>(() => ZipPassword.Generate(65));
        Assert.Equal(10_000, Enumerable.Range(0, 10_000).Select(_ => ZipPassword.Generate()).Distinct().Count());
    }

    [Fact]
    public void Tool_tests_skip_when_the_tool_is_missing_except_on_ci()
    {
        Assert.NotNull(ExternalTool.SkipReason("no-such-tool", ci: null, isOnPath: _ => false));
        Assert.Contains("no-such-tool", ExternalTool.SkipReason("no-such-tool", ci: "false", isOnPath: _ => false), StringComparison.Ordinal);
        Assert.Null(ExternalTool.SkipReason("no-such-tool", ci: "true", isOnPath: _ => false));
        Assert.Null(ExternalTool.SkipReason("7zz", ci: null, isOnPath: _ => true));
    }

    private static ZipOptions Options(string method, string names, string fileName = "rfc2231", bool passThrough = true) =>
        new(method, names, fileName, passThrough);

    private static MimeMessage NewMessage(params MimeEntity[] attachments)
    {
        var message = new MimeMessage { Subject = "Quote", Date = At };
        message.From.Add(new MailboxAddress("Sender", "sender@example.jp"));
        message.To.Add(new MailboxAddress("Customer", "customer@example.com"));
        var mixed = new Multipart("mixed") { new TextPart("plain") { Text = "Please find the quote attached.\r\n" } };
        foreach (var attachment in attachments)
        {
            mixed.Add(attachment);
        }

        message.Body = mixed;
        return message;
    }

    /// <summary>
    /// Text and HTML alternatives with a cid: image, as Outlook writes them; inside multipart/mixed
    /// with a PDF beside, or (withMixed false) with the PDF put straight into the related part.
    /// </summary>
    private static MimeMessage NewRelatedMessage(bool withMixed, bool withAttachment = true)
    {
        var alternative = new MultipartAlternative
        {
            new TextPart("plain") { Text = "見積書を添付します。\r\n" },
            new TextPart("html") { Text = "<p>見積書を添付します。</p><img src=\"cid:logo@sendgate\">\r\n" },
        };
        var image = new MimePart("image", "png")
        {
            Content = new MimeContent(new MemoryStream(RandomNumberGenerator.GetBytes(800))),
            ContentDisposition = new ContentDisposition(ContentDisposition.Inline),
            ContentTransferEncoding = ContentEncoding.Base64,
            ContentId = "logo@sendgate",
            FileName = "logo.png",
        };
        var related = new MultipartRelated { alternative, image };
        var message = NewMessage();
        var pdf = Attachment("quote.pdf", RandomNumberGenerator.GetBytes(2_000), "application/pdf");
        if (withMixed)
        {
            var mixed = new Multipart("mixed") { related };
            if (withAttachment)
            {
                mixed.Add(pdf);
            }

            message.Body = mixed;
        }
        else
        {
            if (withAttachment)
            {
                related.Add(pdf);
            }

            message.Body = related;
        }

        return message;
    }

    private static MimePart Attachment(string name, byte[] content, string mimeType = "application/octet-stream") =>
        new(ContentType.Parse(mimeType))
        {
            Content = new MimeContent(new MemoryStream(content)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = name,
        };

    /// <summary>The serialised text, HTML and inline image parts, to compare before and after.</summary>
    private static List<byte[]> BodyPartBytes(MimeMessage message) =>
        message.BodyParts
            .Where(p => p is TextPart { ContentDisposition: null } || p.ContentType.IsMimeType("image", "*"))
            .Select(p =>
            {
                using var bytes = new MemoryStream();
                p.WriteTo(MessageIntake.WriteFormat, bytes);
                return bytes.ToArray();
            })
            .ToList();

    private static byte[] Written(MimeMessage message)
    {
        using var bytes = new MemoryStream();
        message.WriteTo(MessageIntake.WriteFormat, bytes);
        return bytes.ToArray();
    }

    private static MimeMessage ParseBack(MimeMessage message) => MimeMessage.Load(new MemoryStream(Written(message)));

    private static byte[] Decoded(MimePart part)
    {
        using var bytes = new MemoryStream();
        part.Content?.DecodeTo(bytes);
        return bytes.ToArray();
    }

    private FileStream TempStorage() =>
        new(Path.Combine(_dir, $"{Guid.NewGuid():N}.zip.tmp"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 4096, FileOptions.DeleteOnClose);

    /// <summary>Applies the zipper, writes the message and parses what was written.</summary>
    private Zipped Zip(MimeMessage message, ZipOptions options, string zipName = "files.zip", string? notice = null)
    {
        using var storage = TempStorage();
        var result = AttachmentZipper.Apply(message, options, Password, zipName, At, storage, notice);
        Assert.NotNull(result);
        var written = Written(message);
        var reparsed = MimeMessage.Load(new MemoryStream(written));
        var zipPart = reparsed.Attachments.OfType<MimePart>().Single(p => p.ContentType.IsMimeType("application", "zip") && p.FileName == zipName);
        return new Zipped(result, reparsed, Encoding.UTF8.GetString(written), zipPart, Decoded(zipPart));
    }

    private byte[] SevenZipEncrypted()
    {
        var source = Path.Combine(_dir, "secret.txt");
        File.WriteAllText(source, "already protected by the sender\r\n");
        var zip = Path.Combine(_dir, "already.zip");
        var run = ExternalTool.Run("7zz", ["a", "-tzip", "-pAnother-Secret", "-mem=ZipCrypto", zip, source]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return File.ReadAllBytes(zip);
    }

    private static byte[] PlainZip()
    {
        using var bytes = new MemoryStream();
        using (var archive = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = archive.CreateEntry("plain.txt").Open();
            entry.Write("not encrypted"u8);
        }

        return bytes.ToArray();
    }

    /// <summary>
    /// Extracts with 7zz and compares what landed on disk: the raw name bytes (UTF-8, or the
    /// Shift_JIS bytes 7-Zip writes as they are for unflagged names) and each file's content.
    /// Reading goes through find/cat because .NET cannot open a file whose name is not UTF-8.
    /// </summary>
    private void AssertExtractsWith7Zip(string zip, string names, Dictionary<string, byte[]> files)
    {
        var encoding = names == "cp932" ? Encoding.GetEncoding(932) : Encoding.UTF8;
        Assert.Equal(
            files.Keys.Select(n => Convert.ToHexString(encoding.GetBytes(n))).Order(),
            CentralDirectory.Read(File.ReadAllBytes(zip)).Select(e => Convert.ToHexString(e.Name)).Order());

        var output = Path.Combine(_dir, "7zz-" + names);
        var run = ExternalTool.Run("7zz", ["x", $"-p{Password}", $"-o{output}", "-y", zip]);
        Assert.True(run.ExitCode == 0, run.ToString());

        var listing = ExternalTool.Run("find", [output, "-mindepth", "1", "-printf", "%f\\0"]);
        Assert.Equal(0, listing.ExitCode);
        var onDisk = SplitOnZero(listing.Output).Select(Convert.ToHexString).Order();
        Assert.Equal(files.Keys.Select(n => Convert.ToHexString(encoding.GetBytes(n))).Order(), onDisk);

        Assert.Equal(files.Count, files.Keys.Select(Path.GetExtension).Distinct().Count());
        foreach (var (name, content) in files)
        {
            var cat = ExternalTool.Run("find", [output, "-type", "f", "-name", "*" + Path.GetExtension(name), "-exec", "cat", "{}", ";"]);
            Assert.Equal(0, cat.ExitCode);
            Assert.True(content.AsSpan().SequenceEqual(cat.Output), $"content of {name} differs after extraction");
        }
    }

    private static IEnumerable<byte[]> SplitOnZero(byte[] bytes)
    {
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == 0)
            {
                yield return bytes[start..i];
                start = i + 1;
            }
        }
    }

    private sealed record Zipped(ZipResult Result, MimeMessage Message, string Text, MimePart ZipPart, byte[] ZipBytes)
    {
        public string SaveZip(string dir)
        {
            var path = Path.Combine(dir, $"{Guid.NewGuid():N}.zip");
            File.WriteAllBytes(path, ZipBytes);
            return path;
        }
    }

    private sealed record CentralEntry(byte[] Name, int Flags, int VersionMadeBy, int Method, int DosTime, int DosDate)
    {
        public bool Encrypted => (Flags & 0x0001) != 0;
        public bool LanguageEncodingFlag => (Flags & 0x0800) != 0;
        public int HostSystem => VersionMadeBy >> 8;
    }

    /// <summary>Reads the zip's central directory by the APPNOTE layout, independently of SharpZipLib.</summary>
    private static class CentralDirectory
    {
        public static List<CentralEntry> Read(byte[] zip)
        {
            var end = zip.AsSpan().LastIndexOf("PK\u0005\u0006"u8);
            Assert.True(end >= 0, "no end of central directory record");
            var count = U16(zip, end + 10);
            var at = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end + 16));
            var entries = new List<CentralEntry>();
            for (var i = 0; i < count; i++)
            {
                Assert.Equal(0x02014B50u, BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(at)));
                var nameLength = U16(zip, at + 28);
                entries.Add(new CentralEntry(
                    Name: zip[(at + 46)..(at + 46 + nameLength)],
                    Flags: U16(zip, at + 8),
                    VersionMadeBy: U16(zip, at + 4),
                    Method: U16(zip, at + 10),
                    DosTime: U16(zip, at + 12),
                    DosDate: U16(zip, at + 14)));
                at += 46 + nameLength + U16(zip, at + 30) + U16(zip, at + 32);
            }

            return entries;
        }

        private static int U16(byte[] bytes, int at) => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at));
    }
}
