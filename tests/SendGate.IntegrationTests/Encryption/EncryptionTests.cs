using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MimeKit;
using SendGate.IntegrationTests.Infrastructure;
using SendGate.Tests.ExternalTools;
using SmtpServer.Protocol;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Encryption;

/// <summary>
/// Attachments zipped and encrypted on their way out, checked on what the real SMTP server
/// received, opened with real unzippers and the password from the delivered password mail.
/// </summary>
public sealed partial class EncryptionTests : AppWithSmtpTest
{
    private static readonly byte[] Quote = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("見積金額 1,234,000円\n", 200)));
    private static readonly byte[] Drawing = RandomBytes(50_000, 1);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private Task EncryptExternalAsync(object action) =>
        Client.SetPolicyAsync(Rule("zip", [action], new { type = "externalRecipients" }, new { type = "attachmentCount", min = 1 }));

    private async Task<string> SubmitAsync(params (string, object?)[] fields)
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(fields));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).Str("id");
    }

    private static object[] TwoAttachments => [Attachment("見積書.txt", Quote, "text/plain"), Attachment("図面 A-1.dat", Drawing, "application/octet-stream")];

    private async Task<JsonElement> DetailsAsync(string id) => await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();

    private async Task<IReadOnlyList<string>> EventTypesAsync(string id) =>
        (await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items").EnumerateArray().Select(e => e.Str("type")).ToList();

    [ToolTheory("7zz")]
    [InlineData("zipCrypto", "utf8")]
    [InlineData("zipCrypto", "cp932")]
    [InlineData("aes256", "utf8")]
    [InlineData("aes256", "cp932")]
    public async Task The_delivered_zip_opens_with_the_password_from_the_delivered_password_mail(string method, string nameEncoding)
    {
        await EncryptExternalAsync(new { type = "encryptAttachments", method, nameEncoding, passwordDelay = "PT5M" });
        var id = await SubmitAsync(("to", new[] { "田中 <tanaka@partner.co.jp>" }), ("subject", "お見積りの件"), ("attachments", TwoAttachments));

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var main = Assert.Single(Smtp.Received).Parse();
        Assert.Equal("Body text", main.TextBody);
        var zipPart = Assert.Single(main.Attachments.OfType<MimePart>());
        Assert.Equal("添付ファイル_20261128.zip", zipPart.FileName);
        Assert.Equal("application/zip", zipPart.ContentType.MimeType);

        // The password mail waits for its delay, then follows.
        var details = await DetailsAsync(id);
        Assert.Equal("scheduled", details.GetProperty("passwordMail").Str("status"));
        Assert.Equal(0, await App.DeliverPasswordMailsAsync());
        App.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await App.DeliverPasswordMailsAsync());
        var passwordMail = Smtp.Received.Last().Parse();
        Assert.Equal(["tanaka@partner.co.jp"], passwordMail.To.Mailboxes.Select(m => m.Address));
        Assert.Contains("お見積りの件", passwordMail.Subject, StringComparison.Ordinal);
        Assert.Contains("添付ファイル_20261128.zip", passwordMail.TextBody, StringComparison.Ordinal);
        Assert.Equal(main.MessageId, passwordMail.InReplyTo);
        var password = PasswordIn(passwordMail.TextBody);

        var files = Extract7z(ZipBytes(zipPart), password);
        Assert.Equal(2, files.Count);
        Assert.Contains(files, f => f.Sha256 == Sha256(Quote));
        Assert.Contains(files, f => f.Sha256 == Sha256(Drawing));
        if (nameEncoding == "utf8")
        {
            Assert.Equal(["図面 A-1.dat", "見積書.txt"], files.Select(f => f.Name).Order(StringComparer.Ordinal));
        }
        else
        {
            // 7-Zip writes names without the UTF-8 flag as their raw bytes: CP932 here.
            var cp932 = Encoding.GetEncoding(932);
            Assert.Equal(["図面 A-1.dat", "見積書.txt"], files.Select(f => cp932.GetString(f.RawName)).Order(StringComparer.Ordinal));
        }

        Assert.Equal("sent", (await DetailsAsync(id)).GetProperty("passwordMail").Str("status"));
        Assert.Equal(
            ["message.accepted", "message.delivery_started", "message.attachments_encrypted", "message.sent", "message.password_scheduled", "message.password_sent"],
            await EventTypesAsync(id));
        Assert.NotEqual(0, ExternalTool.Run("7zz", ["t", "-pwrong-password", ZipFile(ZipBytes(zipPart))]).ExitCode);
    }

    [ToolFact("unzip")]
    public async Task Info_ZIP_unzip_opens_the_ZipCrypto_variant()
    {
        await EncryptExternalAsync(new { type = "encryptAttachments", passwordDelay = "PT0S" });
        await SubmitAsync(("to", new[] { "tanaka@partner.co.jp" }), ("attachments", TwoAttachments));
        await App.DeliverDueAsync();
        await App.DeliverPasswordMailsAsync();
        var password = PasswordIn(Smtp.Received.Last().Parse().TextBody);
        var zip = ZipFile(ZipBytes(Smtp.Received.First().Parse().Attachments.OfType<MimePart>().Single()));
        var target = Directory.CreateTempSubdirectory("sendgate-unzip-").FullName;

        var run = ExternalTool.Run("unzip", ["-P", password, "-d", target, zip]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Quote, await File.ReadAllBytesAsync(Path.Combine(target, "見積書.txt")));
        Assert.Equal(Drawing, await File.ReadAllBytesAsync(Path.Combine(target, "図面 A-1.dat")));
        Assert.NotEqual(0, ExternalTool.Run("unzip", ["-P", "wrong", "-o", "-d", target, zip]).ExitCode);
    }

    [Fact]
    public async Task The_password_mail_never_goes_before_the_main_mail()
    {
        await EncryptExternalAsync(new { type = "encryptAttachments", passwordDelay = "PT1M" });
        var refusals = 1;
        Smtp.DataRule = _ => Interlocked.Decrement(ref refusals) >= 0 ? new SmtpResponse((SmtpReplyCode)451, "4.3.0 try later") : null;
        var id = await SubmitAsync(("to", new[] { "tanaka@partner.co.jp" }), ("attachments", TwoAttachments));

        Assert.Equal(1, (await App.DeliverDueAsync()).Deferred);
        Assert.Equal("waiting", (await DetailsAsync(id)).GetProperty("passwordMail").Str("status"));
        App.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await App.DeliverPasswordMailsAsync());

        App.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal(0, await App.DeliverPasswordMailsAsync());
        App.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await App.DeliverPasswordMailsAsync());

        var received = Smtp.Received.ToList();
        Assert.Equal(2, received.Count);
        Assert.NotEmpty(received[0].Parse().Attachments);
        Assert.Contains("パスワード", received[1].Parse().Subject, StringComparison.Ordinal);

        // Both attempts used the one password, so the zip of either attempt opens with the one password mail.
        var details = await DetailsAsync(id);
        Assert.Equal(2, details.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task The_password_mail_is_retried_like_any_delivery_and_fails_for_good_on_5xx()
    {
        await EncryptExternalAsync(new { type = "encryptAttachments", passwordDelay = "PT0S" });
        var id = await SubmitAsync(("to", new[] { "tanaka@partner.co.jp" }), ("attachments", TwoAttachments));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        Smtp.DataRule = _ => new SmtpResponse((SmtpReplyCode)451, "4.3.0 try later");
        Assert.Equal(0, await App.DeliverPasswordMailsAsync());
        var deferred = (await DetailsAsync(id)).GetProperty("passwordMail");
        Assert.Equal("scheduled", deferred.Str("status"));
        Assert.Equal(1, deferred.GetProperty("attempts").GetInt32());
        Assert.Contains("451", deferred.Str("lastError"), StringComparison.Ordinal);
        Assert.True(deferred.GetProperty("dueAt").GetDateTimeOffset() > App.Time.GetUtcNow());

        // Not before its backoff; then a 5xx ends it.
        Assert.Equal(0, await App.DeliverPasswordMailsAsync());
        Assert.Equal(1, deferred.GetProperty("attempts").GetInt32());
        App.Time.Advance(TimeSpan.FromHours(1));
        Smtp.DataRule = _ => new SmtpResponse((SmtpReplyCode)554, "5.7.1 no");
        Assert.Equal(0, await App.DeliverPasswordMailsAsync());
        var failed = (await DetailsAsync(id)).GetProperty("passwordMail");
        Assert.Equal("failed", failed.Str("status"));
        Assert.Equal(2, failed.GetProperty("attempts").GetInt32());
        Assert.Equal("message.password_failed", (await EventTypesAsync(id))[^1]);
    }

    [Fact]
    public async Task A_permanent_failure_of_the_main_mail_cancels_the_password_mail()
    {
        await EncryptExternalAsync(new { type = "encryptAttachments" });
        Smtp.DataRule = _ => new SmtpResponse((SmtpReplyCode)554, "5.7.1 rejected");
        var id = await SubmitAsync(("to", new[] { "tanaka@partner.co.jp" }), ("attachments", TwoAttachments));

        Assert.Equal(1, (await App.DeliverDueAsync()).Failed);
        var password = (await DetailsAsync(id)).GetProperty("passwordMail");
        Assert.Equal("cancelled", password.Str("status"));
        Assert.Contains("554", password.Str("lastError"), StringComparison.Ordinal);
        Assert.Contains("message.password_cancelled", await EventTypesAsync(id));

        App.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await App.DeliverPasswordMailsAsync());
        Assert.Empty(Smtp.Received);
    }

    [Fact]
    public async Task Cancelling_the_main_mail_cancels_the_password_mail()
    {
        await EncryptExternalAsync(new { type = "encryptAttachments" });
        Smtp.DataRule = _ => new SmtpResponse((SmtpReplyCode)451, "4.3.0 try later");
        var id = await SubmitAsync(("to", new[] { "tanaka@partner.co.jp" }), ("attachments", TwoAttachments));
        Assert.Equal(1, (await App.DeliverDueAsync()).Deferred);

        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsJsonAsync($"/v1/messages/{id}/cancel", new { reason = "wrong customer" })).StatusCode);
        Assert.Equal("cancelled", (await DetailsAsync(id)).GetProperty("passwordMail").Str("status"));
        Assert.Equal("message.password_cancelled", (await EventTypesAsync(id))[^1]);
        App.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await App.DeliverPasswordMailsAsync());
    }

    [Fact]
    public async Task An_already_encrypted_zip_passes_through_and_the_rest_is_zipped()
    {
        await EncryptExternalAsync(new { type = "encryptAttachments" });
        var encrypted = EncryptedZip();
        var id = await SubmitAsync(("to", new[] { "tanaka@partner.co.jp" }),
            ("attachments", new[] { Attachment("契約書.zip", encrypted, "application/zip"), Attachment("見積書.txt", Quote, "text/plain") }));
        await App.DeliverDueAsync();

        var parts = Smtp.Received.Single().Parse().Attachments.OfType<MimePart>().ToList();
        Assert.Equal(2, parts.Count);
        Assert.Equal(encrypted, ZipBytes(parts.Single(p => p.FileName == "契約書.zip")));
        Assert.Single(parts, p => p.FileName == "添付ファイル_20261128.zip");
        var decision = (await DetailsAsync(id)).GetProperty("decision").GetProperty("encryption");
        Assert.Equal(["契約書.zip"], decision.GetProperty("alreadyEncryptedAttachments").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task An_inline_image_stays_inline_and_the_bodies_are_unchanged()
    {
        await EncryptExternalAsync(new { type = "encryptAttachments", notice = true });
        var logo = RandomBytes(2000, 7);
        var html = "<html><body><p>山田様</p><img src=\"cid:logo@example\"></body></html>";
        await SubmitAsync(("to", new[] { "tanaka@partner.co.jp" }), ("html", html),
            ("attachments", new object[] { new { filename = "logo.png", contentType = "image/png", content = Convert.ToBase64String(logo), contentId = "logo@example" }, Attachment("見積書.txt", Quote) }));
        await App.DeliverDueAsync();

        var delivered = Smtp.Received.Single().Parse();
        Assert.Equal("Body text", delivered.TextBody);
        Assert.Equal(html, delivered.HtmlBody);
        var inline = delivered.BodyParts.OfType<MimePart>().Single(p => p.ContentId == "logo@example");
        Assert.False(inline.IsAttachment);
        Assert.Equal(logo, ZipBytes(inline));
        Assert.Equal("添付ファイル_20261128.zip", Assert.Single(delivered.Attachments.OfType<MimePart>()).FileName);
        var notice = delivered.BodyParts.OfType<TextPart>().Single(p => p.Text.Contains("パスワード付きZIP", StringComparison.Ordinal));
        Assert.Contains("添付ファイル_20261128.zip", notice.Text, StringComparison.Ordinal);
    }

    [ToolFact("7zz")]
    public async Task Split_delivery_sends_originals_inside_and_the_zip_outside()
    {
        await EncryptExternalAsync(new { type = "encryptAttachments", splitDelivery = true, passwordDelay = "PT0S" });
        var id = await SubmitAsync(("to", new[] { "tanaka@partner.co.jp", "colleague@example.co.jp" }), ("attachments", TwoAttachments));

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var received = Smtp.Received.ToList();
        Assert.Equal(2, received.Count);
        var inside = received.Single(r => r.To.SequenceEqual(["colleague@example.co.jp"])).Parse();
        var outside = received.Single(r => r.To.SequenceEqual(["tanaka@partner.co.jp"])).Parse();
        Assert.Equal(["見積書.txt", "図面 A-1.dat"], inside.Attachments.OfType<MimePart>().Select(p => p.FileName));
        Assert.Equal(Quote, ZipBytes(inside.Attachments.OfType<MimePart>().First()));
        Assert.Equal(["添付ファイル_20261128.zip"], outside.Attachments.OfType<MimePart>().Select(p => p.FileName));
        var recipients = (await DetailsAsync(id)).GetProperty("recipients").EnumerateArray().ToList();
        Assert.All(recipients, r => Assert.Equal("accepted", r.Str("status")));

        Assert.Equal(1, await App.DeliverPasswordMailsAsync());
        var passwordMail = Smtp.Received.Last();
        Assert.Equal(["tanaka@partner.co.jp"], passwordMail.To);
        var files = Extract7z(ZipBytes(outside.Attachments.OfType<MimePart>().Single()), PasswordIn(passwordMail.Parse().TextBody));
        Assert.Equal(2, files.Count);
    }

    [Fact]
    public async Task The_password_can_go_to_the_sender_only_in_English()
    {
        (await Client.PatchAsJsonAsync("/v1/tenant", new { language = "en" })).EnsureSuccessStatusCode();
        await EncryptExternalAsync(new { type = "encryptAttachments", passwordTo = "sender", passwordDelay = "PT0S", notice = true });
        await SubmitAsync(("to", new[] { "tanaka@partner.co.jp" }), ("attachments", TwoAttachments));
        await App.DeliverDueAsync();
        await App.DeliverPasswordMailsAsync();

        var main = Smtp.Received.First().Parse();
        Assert.Equal("attachments_20261128.zip", main.Attachments.OfType<MimePart>().Single().FileName);
        Assert.Contains(main.BodyParts.OfType<TextPart>(), p => p.Text.Contains("The sender will tell you its password", StringComparison.Ordinal));
        var passwordMail = Smtp.Received.Last();
        Assert.Equal(["sender@example.co.jp"], passwordMail.To);
        Assert.StartsWith("[Password]", passwordMail.Parse().Subject, StringComparison.Ordinal);
        Assert.Matches("Password: +[A-Za-z0-9]{12}", passwordMail.Parse().TextBody);
    }

    [ToolFact("7zz")]
    public async Task Japanese_names_from_ISO_2022_JP_MIME_survive_and_the_zip_name_can_be_RFC_2047()
    {
        await EncryptExternalAsync(new { type = "encryptAttachments", fileNameEncoding = "rfc2047", passwordDelay = "PT0S" });
        var jis = Encoding.GetEncoding("iso-2022-jp");
        var name = "=?ISO-2022-JP?B?" + Convert.ToBase64String(jis.GetBytes("請求書.txt")) + "?=";
        var mime = $"""
            From: sender@example.co.jp
            To: tanaka@partner.co.jp
            Subject: =?ISO-2022-JP?B?{Convert.ToBase64String(jis.GetBytes("ご請求"))}?=
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b"

            --b
            Content-Type: text/plain; charset=ISO-2022-JP

            body
            --b
            Content-Type: text/plain; name="{name}"
            Content-Disposition: attachment; filename="{name}"
            Content-Transfer-Encoding: base64

            {Convert.ToBase64String(Quote)}
            --b--

            """.Replace("\n", "\r\n", StringComparison.Ordinal);
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes(mime));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsync("/v1/messages", content)).StatusCode);
        await App.DeliverDueAsync();
        await App.DeliverPasswordMailsAsync();

        var received = Smtp.Received.First();
        var header = Encoding.ASCII.GetString(received.Raw);
        Assert.Matches("filename=\"=\\?utf-8\\?[bBqQ]\\?", header);
        var zip = received.Parse().Attachments.OfType<MimePart>().Single();
        Assert.Equal("添付ファイル_20261128.zip", zip.FileName);
        var file = Assert.Single(Extract7z(ZipBytes(zip), PasswordIn(Smtp.Received.Last().Parse().TextBody)));
        Assert.Equal("請求書.txt", file.Name);
        Assert.Equal(Sha256(Quote), file.Sha256);
    }

    private static string PasswordIn(string? body) =>
        PasswordLine().Match(body ?? "") is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException($"No password in: {body}");

    [GeneratedRegex("(?:パスワード：|Password: +)([A-Za-z0-9]{12,64})")]
    private static partial Regex PasswordLine();

    internal static byte[] ZipBytes(MimePart part)
    {
        using var buffer = new MemoryStream();
        part.Content!.DecodeTo(buffer);
        return buffer.ToArray();
    }

    internal static string ZipFile(byte[] zip)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("sendgate-zip-").FullName, "delivered.zip");
        File.WriteAllBytes(path, zip);
        return path;
    }

    internal sealed record ExtractedFile(string Name, byte[] RawName, string Sha256);

    internal static string Sha256(byte[] content) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));

    /// <summary>
    /// Extracts with 7-Zip and lists every file with its name as raw bytes (CP932 names are not
    /// UTF-8, so .NET cannot open them by name) and the SHA-256 of its content.
    /// </summary>
    internal static IReadOnlyList<ExtractedFile> Extract7z(byte[] zip, string password)
    {
        var file = ZipFile(zip);
        var target = Path.Combine(Path.GetDirectoryName(file)!, "out");
        var run = ExternalTool.Run("7zz", ["x", $"-p{password}", $"-o{target}", "-y", file]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var sums = ExternalTool.Run("find", [target, "-type", "f", "-exec", "sha256sum", "-z", "{}", "+"]);
        Assert.True(sums.ExitCode == 0, sums.ToString());
        return Split(sums.Output).Select(line =>
        {
            // "<64 hex>  <path>"
            var hash = Encoding.ASCII.GetString(line, 0, 64);
            var path = line[66..];
            var raw = path[(Array.LastIndexOf(path, (byte)'/') + 1)..];
            return new ExtractedFile(Encoding.UTF8.GetString(raw), raw, hash);
        }).ToList();
    }

    private static List<byte[]> Split(byte[] output)
    {
        var result = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < output.Length; i++)
        {
            if (output[i] == 0)
            {
                result.Add(output[start..i]);
                start = i + 1;
            }
        }

        return result;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A small ZipCrypto zip, as a customer's own tool would have made it.</summary>
    private static byte[] EncryptedZip()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ICSharpCode.SharpZipLib.Zip.ZipOutputStream(buffer) { IsStreamOwner = false, Password = "customer-secret" })
        {
            zip.PutNextEntry(new ICSharpCode.SharpZipLib.Zip.ZipEntry("contract.pdf"));
            zip.Write(RandomBytes(3000, 3));
            zip.CloseEntry();
        }

        return buffer.ToArray();
    }
}
