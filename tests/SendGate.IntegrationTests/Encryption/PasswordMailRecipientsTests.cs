using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using MimeKit;
using SendGate.Core.Archive;
using SendGate.Core.Data;
using SendGate.IntegrationTests.Infrastructure;
using SmtpServer.Protocol;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Encryption;

/// <summary>
/// The password mail shows each recipient exactly the To and Cc they saw on the encrypted mail —
/// as raw header bytes, compared on what the real SMTP server received — and reaches exactly the
/// recipients that mail reached: never a hidden recipient shown, never a display name lost.
/// </summary>
public sealed class PasswordMailRecipientsTests : AppWithSmtpTest
{
    private static readonly byte[] Quote = Encoding.UTF8.GetBytes("見積金額 1,234,000円\n");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private Task PolicyAsync(bool splitDelivery = false, object? bcc = null)
    {
        var zip = Rule("zip", [new { type = "encryptAttachments", passwordDelay = "PT0S", splitDelivery }],
            new { type = "externalRecipients" }, new { type = "attachmentCount", min = 1 });
        return bcc is null ? Client.SetPolicyAsync(zip) : Client.SetPolicyAsync(zip, Rule("bcc", [bcc]));
    }

    /// <summary>Submits, delivers the main mail, then its password mail; returns what the relay received of each.</summary>
    private async Task<(IReadOnlyList<ReceivedMail> Main, ReceivedMail Password)> SendBothAsync(params (string, object?)[] fields)
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail([.. fields, ("attachments", new[] { Attachment("見積書.txt", Quote, "text/plain") })]));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return await DeliverBothAsync();
    }

    private async Task<(IReadOnlyList<ReceivedMail> Main, ReceivedMail Password)> DeliverBothAsync()
    {
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var main = Smtp.Received.ToList();
        Assert.Equal(1, await App.DeliverPasswordMailsAsync());
        var all = Smtp.Received.ToList();
        // One password mail: one transaction, whatever the number of recipients.
        Assert.Equal(main.Count + 1, all.Count);
        return (main, all[^1]);
    }

    [Fact]
    public async Task A_Bcc_recipient_gets_the_password_mail_without_anyone_seeing_them_in_it()
    {
        await PolicyAsync();
        var (main, password) = await SendBothAsync(("to", new[] { "Taro Suzuki <suzuki@customer.jp>" }),
            ("bcc", new[] { "archive@records.jp", "auditor@audit.jp" }));

        var delivered = Assert.Single(main);
        Assert.Equal(["archive@records.jp", "auditor@audit.jp", "suzuki@customer.jp"], delivered.To.Order(StringComparer.Ordinal));
        Assert.Equal(["To: Taro Suzuki <suzuki@customer.jp>"], RawFields(delivered, "To"));
        Assert.Empty(RawFields(delivered, "Bcc"));

        Assert.Equal(["archive@records.jp", "auditor@audit.jp", "suzuki@customer.jp"], password.To.Order(StringComparer.Ordinal));
        Assert.Equal(RawFields(delivered, "To"), RawFields(password, "To"));
        Assert.Empty(RawFields(password, "Cc"));
        Assert.Empty(RawFields(password, "Bcc"));
        Assert.DoesNotContain("archive@", HeaderSection(password), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("auditor@", HeaderSection(password), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("パスワード", password.Parse().Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_card_number_in_the_subject_is_masked_in_the_password_mail_SendGate_writes()
    {
        await PolicyAsync();
        var (main, password) = await SendBothAsync(("to", new[] { "suzuki@customer.jp" }), ("subject", "カード 4111 1111 1111 1111 の明細"));

        // The encrypted mail is the sender's and goes out as written; the password mail is SendGate's own.
        Assert.Contains("4111 1111 1111 1111", Assert.Single(main).Parse().Subject, StringComparison.Ordinal);
        var subject = password.Parse().Subject;
        Assert.DoesNotContain("4111 1111 1111 1111", subject, StringComparison.Ordinal);
        Assert.Contains("1111", subject, StringComparison.Ordinal);
        Assert.Contains("パスワード", subject, StringComparison.Ordinal);
        Assert.DoesNotContain("4111 1111 1111 1111", password.Parse().TextBody ?? "", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("undisclosed", "To: undisclosed-recipients: ;")]
    [InlineData("sender", "To: Sender <sender@example.co.jp>")]
    public async Task After_Bcc_conversion_the_password_mail_shows_the_same_replaced_To(string replaceTo, string shown)
    {
        await PolicyAsync(bcc: new { type = "convertToBcc", threshold = 5, replaceTo });
        string[] external = ["a@one.jp", "b@two.jp", "c@three.jp", "d@four.jp", "e@five.jp"];
        var (main, password) = await SendBothAsync(("to", new[] { "Aoki <a@one.jp>", "b@two.jp", "Chiba <c@three.jp>" }),
            ("cc", new[] { "Doi <d@four.jp>", "e@five.jp" }));

        var delivered = Assert.Single(main);
        Assert.Equal(external.Order(StringComparer.Ordinal), delivered.To.Order(StringComparer.Ordinal));
        Assert.Equal([shown], RawFields(delivered, "To"));
        Assert.Empty(RawFields(delivered, "Cc"));

        Assert.Equal(external.Order(StringComparer.Ordinal), password.To.Order(StringComparer.Ordinal));
        Assert.Equal([shown], RawFields(password, "To"));
        Assert.Empty(RawFields(password, "Cc"));
        Assert.Empty(RawFields(password, "Bcc"));
        Assert.All(external, a => Assert.DoesNotContain(a, HeaderSection(password), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task With_split_delivery_the_password_mail_reaches_the_external_recipients_and_shows_what_their_copy_showed()
    {
        await PolicyAsync(splitDelivery: true);
        var (main, password) = await SendBothAsync(("to", new[] { "Tanaka <tanaka@partner.co.jp>" }), ("cc", new[] { "Colleague <colleague@example.co.jp>" }),
            ("bcc", new[] { "auditor@audit.jp", "boss@example.co.jp" }));

        Assert.Equal(2, main.Count);
        var outside = main.Single(m => m.To.Contains("tanaka@partner.co.jp"));
        Assert.Equal(["auditor@audit.jp", "tanaka@partner.co.jp"], outside.To.Order(StringComparer.Ordinal));
        Assert.Equal(["添付ファイル_20261128.zip"], outside.Parse().Attachments.OfType<MimePart>().Select(p => p.FileName));
        Assert.Equal(["To: Tanaka <tanaka@partner.co.jp>"], RawFields(outside, "To"));
        Assert.Equal(["Cc: Colleague <colleague@example.co.jp>"], RawFields(outside, "Cc"));

        // The internal recipients got the originals: nothing to open, no password mail.
        Assert.Equal(["auditor@audit.jp", "tanaka@partner.co.jp"], password.To.Order(StringComparer.Ordinal));
        Assert.Equal(RawFields(outside, "To"), RawFields(password, "To"));
        Assert.Equal(RawFields(outside, "Cc"), RawFields(password, "Cc"));
        Assert.Empty(RawFields(password, "Bcc"));
        Assert.DoesNotContain("auditor@", HeaderSection(password), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("boss@", HeaderSection(password), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Japanese_display_names_are_kept_as_the_encrypted_mail_encoded_them()
    {
        await PolicyAsync();
        var (main, password) = await SendBothAsync(("to", new[] { "鈴木 一郎 <suzuki@customer.jp>", "佐藤 花子 <sato@customer.jp>" }),
            ("cc", new[] { "山田 部長 <yamada@customer.jp>" }));

        var delivered = Assert.Single(main);
        var to = Assert.Single(RawFields(delivered, "To"));
        Assert.Matches(@"^To: =\?utf-8\?[bBqQ]\?", to);
        Assert.DoesNotContain(HeaderSection(delivered), c => c > 127);

        Assert.Equal(["sato@customer.jp", "suzuki@customer.jp", "yamada@customer.jp"], password.To.Order(StringComparer.Ordinal));
        Assert.Equal(RawFields(delivered, "To"), RawFields(password, "To"));
        Assert.Equal(RawFields(delivered, "Cc"), RawFields(password, "Cc"));
        var parsed = password.Parse();
        Assert.Equal(["鈴木 一郎", "佐藤 花子"], parsed.To.Mailboxes.Select(m => m.Name));
        Assert.Equal(["山田 部長"], parsed.Cc.Mailboxes.Select(m => m.Name));
    }

    [Fact]
    public async Task ISO_2022_JP_display_names_of_submitted_MIME_reach_the_password_mail_byte_for_byte()
    {
        await PolicyAsync();
        var jis = Encoding.GetEncoding("iso-2022-jp");
        string Word(string text) => "=?ISO-2022-JP?B?" + Convert.ToBase64String(jis.GetBytes(text)) + "?=";
        var mime = $"""
            From: {Word("営業部")} <sender@example.co.jp>
            To: {Word("鈴木 様")} <suzuki@customer.jp>
            Bcc: archive@records.jp
            Subject: {Word("お見積り")}
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b"

            --b
            Content-Type: text/plain; charset=ISO-2022-JP

            body
            --b
            Content-Type: text/plain; name="quote.txt"
            Content-Disposition: attachment; filename="quote.txt"
            Content-Transfer-Encoding: base64

            {Convert.ToBase64String(Quote)}
            --b--

            """.Replace("\n", "\r\n", StringComparison.Ordinal);
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes(mime));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsync("/v1/messages", content)).StatusCode);
        var (main, password) = await DeliverBothAsync();

        var delivered = Assert.Single(main);
        Assert.Equal([$"To: {Word("鈴木 様")} <suzuki@customer.jp>"], RawFields(delivered, "To"));
        Assert.Equal(["archive@records.jp", "suzuki@customer.jp"], password.To.Order(StringComparer.Ordinal));
        Assert.Equal(RawFields(delivered, "To"), RawFields(password, "To"));
        Assert.Equal("鈴木 様", password.Parse().To.Mailboxes.Single().Name);
        Assert.DoesNotContain("archive@", HeaderSection(password), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_mail_delivered_over_two_attempts_gets_one_password_mail_to_everyone_it_reached()
    {
        await PolicyAsync();
        var deferOnce = 1;
        Smtp.RecipientRule = rcpt => rcpt == "baba@two.jp" && Interlocked.Decrement(ref deferOnce) >= 0
            ? new SmtpResponse((SmtpReplyCode)450, "4.2.1 mailbox busy") : null;
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "Aoki <aoki@one.jp>", "Baba <baba@two.jp>" }),
            ("bcc", new[] { "archive@records.jp" }), ("attachments", new[] { Attachment("見積書.txt", Quote, "text/plain") })));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Deferred);
        App.Time.Advance(TimeSpan.FromMinutes(1));
        var (main, password) = await DeliverBothAsync();

        Assert.Equal(2, main.Count);
        Assert.Equal(["baba@two.jp"], main[1].To);
        Assert.Equal(RawFields(main[0], "To"), RawFields(main[1], "To"));
        Assert.Equal(["To: Aoki <aoki@one.jp>, Baba <baba@two.jp>"], RawFields(main[0], "To"));
        Assert.Equal(["aoki@one.jp", "archive@records.jp", "baba@two.jp"], password.To.Order(StringComparer.Ordinal));
        Assert.Equal(RawFields(main[0], "To"), RawFields(password, "To"));
        Assert.DoesNotContain("archive@", HeaderSection(password), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Were_the_delivered_copies_to_show_different_recipients_the_password_mail_would_show_nobody()
    {
        await PolicyAsync();
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "Aoki <aoki@one.jp>" }),
            ("attachments", new[] { Attachment("見積書.txt", Quote, "text/plain") })));
        var id = (await response.JsonAsync()).Str("id");
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        // Delivery never records such a copy (every copy comes from one original and one rewrite);
        // one is put beside the real one to show what the password mail does if it ever did.
        var other = Encoding.ASCII.GetBytes("From: sender@example.co.jp\r\nTo: Someone Else <else@three.jp>\r\nSubject: x\r\n\r\nbody\r\n");
        var (key, size) = await App.Service<IBlobStore>().PutAsync(s => s.WriteAsync(other).AsTask());
        await using (var connection = await App.Service<IDbConnectionFactory>().OpenAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO message_sent (message_id, part, blob_key, recipients, size, sent_at, encrypted)
                VALUES (@id, 2, @key, '["else@three.jp"]', @size, 0, 1)
                """, new { id, key, size });
        }

        Assert.Equal(1, await App.DeliverPasswordMailsAsync());
        var password = Smtp.Received.Last();
        Assert.Equal(["aoki@one.jp", "else@three.jp"], password.To.Order(StringComparer.Ordinal));
        Assert.Equal(["To: undisclosed-recipients: ;"], RawFields(password, "To"));
        Assert.Empty(RawFields(password, "Cc"));
    }

    /// <summary>The header section as the relay received it, one char per byte (8-bit bytes stay visible).</summary>
    private static string HeaderSection(ReceivedMail mail)
    {
        var text = Encoding.Latin1.GetString(mail.Raw);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return end < 0 ? text : text[..(end + 2)];
    }

    /// <summary>Every field of that name, exactly as received (a folded field keeps its line breaks).</summary>
    private static IReadOnlyList<string> RawFields(ReceivedMail mail, string name)
    {
        var fields = new List<string>();
        foreach (var line in HeaderSection(mail).Split("\r\n"))
        {
            if (line.Length > 0 && line[0] is ' ' or '\t' && fields.Count > 0)
            {
                fields[^1] += "\r\n" + line;
            }
            else if (line.Length > 0)
            {
                fields.Add(line);
            }
        }

        return fields.Where(f => f.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)).ToList();
    }
}
