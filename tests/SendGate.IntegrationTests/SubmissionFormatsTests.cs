using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using MimeKit;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary>The same mail as JSON and as raw MIME must leave SendGate equivalently.</summary>
public sealed class SubmissionFormatsTests : AppWithSmtpTest
{
    private const string Subject = "【見積書送付】株式会社サンプル 山田様 ①";
    private const string Body = "いつもお世話になっております。\r\n見積書を添付いたします。\r\n";
    private const string FileName = "見積書_2026年11月.pdf";

    private static readonly byte[] Attachment = RandomNumberGenerator.GetBytes(50_000);


    [Theory]
    [InlineData("iso-2022-jp")]
    [InlineData("utf-8")]
    [InlineData("shift_jis")]
    public async Task Json_and_mime_submissions_are_delivered_equivalently(string charset)
    {
        var json = await (await Client.PostAsJsonAsync("/v1/messages", new
        {
            from = "山田 太郎 <yamada@example.co.jp>",
            to = new[] { "Customer <customer@example.com>" },
            cc = new[] { "boss@example.co.jp" },
            bcc = new[] { "archive@example.co.jp" },
            subject = Subject,
            text = Body,
            attachments = new[] { new { filename = FileName, contentType = "application/pdf", content = Convert.ToBase64String(Attachment) } },
        })).JsonAsync();

        using var content = new ByteArrayContent(BuildMime(charset));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var mimeResponse = await Client.PostAsync("/v1/messages", content);
        Assert.Equal(HttpStatusCode.Accepted, mimeResponse.StatusCode);
        var mime = await mimeResponse.JsonAsync();

        Assert.Equal(2, (await App.DeliverDueAsync()).Sent);
        Assert.Equal(2, Smtp.Received.Count);

        var fromJson = Delivered(json.Str("id"));
        var fromMime = Delivered(mime.Str("id"));
        foreach (var (envelope, message) in new[] { fromJson, fromMime })
        {
            Assert.Equal("yamada@example.co.jp", envelope.From);
            Assert.Equal(["archive@example.co.jp", "boss@example.co.jp", "customer@example.com"], envelope.To.Order(StringComparer.Ordinal));
            Assert.Equal(Subject, message.Subject);
            Assert.Equal("山田 太郎", message.From.Mailboxes.Single().Name);
            Assert.Equal(["customer@example.com"], message.To.Mailboxes.Select(m => m.Address));
            Assert.Equal("Customer", message.To.Mailboxes.Single().Name);
            Assert.Equal(["boss@example.co.jp"], message.Cc.Mailboxes.Select(m => m.Address));
            Assert.Empty(message.Bcc);
            Assert.False(message.Headers.Contains(HeaderId.Bcc));
            Assert.DoesNotContain("archive@example.co.jp", Encoding.ASCII.GetString(envelope.Raw), StringComparison.OrdinalIgnoreCase);
            Assert.Equal(Normalize(Body), Normalize(message.TextBody));
            var part = Assert.IsType<MimePart>(Assert.Single(message.Attachments));
            Assert.Equal(FileName, part.FileName);
            using var bytes = new MemoryStream();
            part.Content!.DecodeTo(bytes);
            Assert.Equal(Attachment, bytes.ToArray());
            Assert.False(string.IsNullOrEmpty(message.MessageId));
            Assert.True(message.Headers.Contains(HeaderId.Date));
        }

        var stored = await (await Client.GetAsync($"/v1/messages/{mime.Str("id")}")).JsonAsync();
        Assert.Equal(Subject, stored.Str("subject"));
        Assert.Equal("mime", stored.Str("source"));
        Assert.Equal(3, stored.GetProperty("recipients").GetArrayLength());
    }

    private (ReceivedMail Envelope, MimeMessage Message) Delivered(string id)
    {
        var row = App.Service<SendGate.Core.Messages.MessageStore>().GetByIdAsync(id).GetAwaiter().GetResult()!;
        var mail = Assert.Single(Smtp.ReceivedFor(row.MessageIdHeader!));
        return (mail, mail.Parse());
    }

    private static string Normalize(string? text) => (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');

    /// <summary>The mail a Japanese client would write: headers, body and file name in <paramref name="charset"/>.</summary>
    private static byte[] BuildMime(string charset)
    {
        var encoding = Encoding.GetEncoding(charset);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(encoding, "山田 太郎", "yamada@example.co.jp"));
        message.To.Add(new MailboxAddress("Customer", "customer@example.com"));
        message.Cc.Add(new MailboxAddress("", "boss@example.co.jp"));
        message.Bcc.Add(new MailboxAddress("", "archive@example.co.jp"));
        message.Headers.Replace(HeaderId.Subject, encoding, Subject);
        message.MessageId = "legacy-client-1@example.co.jp";

        var text = new TextPart("plain");
        text.SetText(encoding, Body);
        var attachment = new MimePart("application", "pdf")
        {
            Content = new MimeContent(new MemoryStream(Attachment)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
        };
        attachment.ContentDisposition.Parameters.Add(encoding, "filename", FileName);
        attachment.ContentType.Parameters.Add(encoding, "name", FileName);
        message.Body = new Multipart("mixed") { text, attachment };

        using var stream = new MemoryStream();
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        message.WriteTo(options, stream);
        return stream.ToArray();
    }
}
