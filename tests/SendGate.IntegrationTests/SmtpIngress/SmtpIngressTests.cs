using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SendGate.Api.SmtpIngress;
using SmtpServer.Protocol;
using SendGate.IntegrationTests.Contract;
using SendGate.IntegrationTests.Infrastructure;
using SendGate.Tests.ExternalTools;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.SmtpIngress;

/// <summary>
/// The SMTP door fed by real clients (swaks, Python's smtplib) over a real socket: AUTH after
/// STARTTLS and connector mode recognise the tenant, the reply comes after the message is stored,
/// and every refusal has its code. The same pipeline as the REST door decides and delivers.
/// </summary>
public sealed class SmtpIngressTests : AppWithSmtpTest
{
    private const string ClientScript = "smtp_client.py";
    private string _certificate = "";

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = IngressSettings.WithStartTls(out _certificate);
            settings["SendGate:SmtpIngress:MaxRecipients"] = "3";
            settings["SendGate:Limits:MaxRequestBytes"] = "3000000";
            settings["SendGate:RateLimits:AuthFailuresPerAddress:PermitLimit"] = "4";
            return settings;
        }
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private int Port => App.Service<SmtpIngressHost>().Endpoints.Single().Port;

    private async Task<(string Username, string Password)> CredentialAsync(HttpClient admin)
    {
        var created = await admin.PostAsJsonAsync("/v1/smtp/credentials", new { name = "Exchange Online connector" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.JsonAsync();
        return (body.GetProperty("credential").Str("username"), body.Str("password"));
    }

    private string MessageFile(string subject, string to = "tanaka@partner.co.jp", string? cc = null, int bodyBytes = 0)
    {
        var text = new StringBuilder()
            .Append("From: Hanako <hanako@example.co.jp>\r\n")
            .Append($"To: {to}\r\n")
            .Append(cc is null ? "" : $"Cc: {cc}\r\n")
            .Append($"Subject: {subject}\r\n")
            .Append("Message-ID: <").Append(Guid.NewGuid().ToString("N")).Append("@example.co.jp>\r\n")
            .Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
            .Append("Body text\r\n");
        for (var i = 0; i < bodyBytes / 76; i++)
        {
            text.Append(new string('x', 74)).Append("\r\n");
        }

        var path = Path.Combine(App.Folder, Guid.NewGuid().ToString("N") + ".eml");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>One smtplib session; the replies it got, step by step.</summary>
    private List<(string Step, int Code, string Text)> Python(string message, string from, IEnumerable<string> to, bool tls = true,
        (string User, string Password)? auth = null, long? size = null)
    {
        var args = new List<string> { Path.Combine(OpenApiContractTests.RepositoryRoot(), "tests", "SendGate.IntegrationTests", "SmtpIngress", ClientScript), Port.ToString(System.Globalization.CultureInfo.InvariantCulture), message };
        if (tls)
        {
            args.AddRange(["--starttls", _certificate]);
        }

        if (auth is { } a)
        {
            args.AddRange(["--auth", a.User, a.Password]);
        }

        if (size is { } n)
        {
            args.AddRange(["--size", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        args.AddRange(["--from", from]);
        foreach (var address in to)
        {
            args.AddRange(["--to", address]);
        }

        var run = ExternalTool.Run("python3", args);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => (e.Str("step"), e.GetProperty("code").GetInt32(), e.Str("text")))
            .ToList();
    }

    private static string QueuedId(string reply)
    {
        var match = System.Text.RegularExpressions.Regex.Match(reply, @"queued as (msg_[0-9a-f]{32})");
        Assert.True(match.Success, reply);
        return match.Groups[1].Value;
    }

    [ToolFact("swaks")]
    public async Task Swaks_signs_in_after_starttls_and_the_mail_goes_through_policy_to_the_relay_with_envelope_only_recipients_as_bcc()
    {
        var (user, password) = await CredentialAsync(Client);
        var message = MessageFile("お見積りの件", cc: "sato@client.example");
        var run = ExternalTool.Run("swaks", ["--server", $"127.0.0.1:{Port}", "--tls", "--auth", "PLAIN", "--auth-user", user, "--auth-password", password,
            "--from", "hanako@example.co.jp", "--to", "tanaka@partner.co.jp,sato@client.example,kanri@partner.co.jp", "--data", "@" + message]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var id = QueuedId(run.StdOut);

        var stored = await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();
        Assert.Equal("smtp", stored.Str("door"));
        Assert.Equal("mime", stored.Str("source"));
        Assert.Equal("smtp", (await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items")[0].Str("door"));
        Assert.Equal(1, (await (await Client.GetAsync("/v1/messages?door=smtp")).JsonAsync()).GetProperty("items").GetArrayLength());
        Assert.Equal(0, (await (await Client.GetAsync("/v1/messages?door=api")).JsonAsync()).GetProperty("items").GetArrayLength());
        await (await Client.GetAsync("/v1/messages?door=fax")).ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "door");
        var accepted = (await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items")[0];
        Assert.Equal("submitted over smtp", accepted.Str("reason"));
        Assert.Equal("hanako@example.co.jp", stored.Str("envelopeFrom"));
        var kinds = stored.GetProperty("recipients").EnumerateArray().ToDictionary(r => r.Str("address"), r => r.Str("kind"));
        Assert.Equal(new Dictionary<string, string> { ["tanaka@partner.co.jp"] = "to", ["sato@client.example"] = "cc", ["kanri@partner.co.jp"] = "bcc" }, kinds);

        await App.DeliverDueAsync();
        var delivered = Smtp.Received.Single();
        Assert.Equal(["kanri@partner.co.jp", "sato@client.example", "tanaka@partner.co.jp"], delivered.To.Order(StringComparer.Ordinal));
        Assert.Equal("お見積りの件", delivered.Parse().Subject);
        // SendGate's trace line is on top: from which client, over TLS after AUTH, with the message id.
        var trace = delivered.Parse().Headers.First(h => h.Id == MimeKit.HeaderId.Received).Value;
        Assert.Contains($"from [127.0.0.1] by sendgate (SendGate) with ESMTPSA id {id};", trace, StringComparison.Ordinal);
        // The Bcc recipient is not written into the mail anyone receives.
        Assert.DoesNotContain("kanri@partner.co.jp", Encoding.UTF8.GetString(delivered.Raw), StringComparison.Ordinal);
    }

    [ToolFact("python3")]
    public async Task A_client_that_is_not_recognised_is_refused_at_mail_from_and_a_wrong_password_at_auth()
    {
        var message = MessageFile("件名");
        var anonymous = Python(message, "hanako@example.co.jp", ["tanaka@partner.co.jp"]);
        var mail = anonymous.Single(r => r.Step == "mail");
        Assert.Equal(530, mail.Code);
        Assert.StartsWith("5.7.0", mail.Text, StringComparison.Ordinal);

        var (user, _) = await CredentialAsync(Client);
        var wrong = Python(message, "hanako@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, "not-the-password"));
        Assert.Equal(535, wrong.Single(r => r.Step == "auth").Code);

        // AUTH is not offered before STARTTLS: credentials never cross in clear.
        var plain = Python(message, "hanako@example.co.jp", ["tanaka@partner.co.jp"], tls: false, auth: (user, "whatever"));
        Assert.NotEqual(235, plain.Single(r => r.Step == "auth").Code);
        Assert.Empty((await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray());
    }

    [ToolFact("python3")]
    public async Task Connector_mode_recognises_the_tenant_by_address_and_can_require_tls()
    {
        var saved = await Client.PutAsJsonAsync("/v1/smtp/connector", new { networks = new[] { "127.0.0.1" }, requireTls = true });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal("127.0.0.1/32", (await saved.JsonAsync()).GetProperty("networks")[0].GetString());
        var message = MessageFile("接続元で認識");

        var clear = Python(message, "hanako@example.co.jp", ["tanaka@partner.co.jp"], tls: false);
        var refused = clear.Single(r => r.Step == "mail");
        Assert.Equal(530, refused.Code);
        Assert.Contains("STARTTLS", refused.Text, StringComparison.Ordinal);

        var secure = Python(message, "hanako@example.co.jp", ["tanaka@partner.co.jp"]);
        var data = secure.Single(r => r.Step == "data");
        Assert.Equal(250, data.Code);
        var stored = await (await Client.GetAsync($"/v1/messages/{QueuedId(data.Text)}")).JsonAsync();
        Assert.Equal("smtp", stored.Str("door"));

        // Another tenant cannot claim the same network.
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        var overlap = await other.PutAsJsonAsync("/v1/smtp/connector", new { networks = new[] { "127.0.0.0/8" } });
        await overlap.ProblemAsync(HttpStatusCode.Conflict, "network-overlap");
    }

    [ToolFact("python3")]
    public async Task A_suspended_tenant_and_a_used_up_daily_quota_get_temporary_replies_so_the_mail_server_keeps_the_mail()
    {
        var (user, password) = await CredentialAsync(Client);
        var tenantId = (await (await Client.GetAsync("/v1/tenant")).JsonAsync()).Str("id");
        var access = App.Service<SendGate.Core.Tenants.TenantAccess>();

        await access.SuspendAsync(tenantId);
        var suspended = Python(MessageFile("停止中"), "hanako@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "mail");
        Assert.Equal(451, suspended.Code);
        Assert.StartsWith("4.7.1 This tenant is suspended", suspended.Text, StringComparison.Ordinal);

        await access.ResumeAsync(tenantId);
        await access.SetQuotasAsync(tenantId, messagesPerDay: 1, storedBytes: null, apiKeys: null, webhookEndpoints: null);
        Assert.Equal(250, Python(MessageFile("一通目"), "hanako@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "data").Code);
        var over = Python(MessageFile("二通目"), "hanako@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "data");
        Assert.Equal(451, over.Code);
        Assert.StartsWith("4.7.0 Daily message quota of 1 reached; try again after ", over.Text, StringComparison.Ordinal);
        Assert.Equal(1, (await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").GetArrayLength());
    }

    [ToolFact("python3")]
    public async Task A_policy_rejection_is_550_5_7_1_with_the_rule_and_is_archived_as_rejected()
    {
        await Client.SetPolicyAsync(Rule("no-secrets", [new { type = "reject", reason = "Confidential mail may not leave" }], new { type = "subject", contains = new[] { "社外秘" } }));
        var (user, password) = await CredentialAsync(Client);
        var replies = Python(MessageFile("【社外秘】計画"), "hanako@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, password));
        var data = replies.Single(r => r.Step == "data");
        Assert.Equal(550, data.Code);
        Assert.StartsWith("5.7.1 Rejected by policy rule no-secrets: Confidential mail may not leave", data.Text, StringComparison.Ordinal);
        var id = System.Text.RegularExpressions.Regex.Match(data.Text, @"msg_[0-9a-f]{32}").Value;
        Assert.Equal("rejected", (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status"));
        await App.DeliverDueAsync();
        Assert.Empty(Smtp.Received);
    }

    [ToolFact("python3")]
    public async Task Limits_are_enforced_while_reading_too_many_recipients_too_big_and_malformed_mail()
    {
        var (user, password) = await CredentialAsync(Client);
        var auth = (user, password);

        var many = Python(MessageFile("多すぎる宛先"), "hanako@example.co.jp", ["a@partner.co.jp", "b@partner.co.jp", "c@partner.co.jp", "d@partner.co.jp"], auth: auth);
        var fourth = many.Where(r => r.Step == "rcpt").Last();
        Assert.Equal(452, fourth.Code);
        Assert.StartsWith("4.5.3", fourth.Text, StringComparison.Ordinal);

        var declared = Python(MessageFile("大きすぎる"), "hanako@example.co.jp", ["a@partner.co.jp"], auth: auth, size: 10_000_000);
        Assert.Equal(552, declared.Single(r => r.Step == "mail").Code);

        // Declared small, sent big: the session ends once the bound is passed, nothing is stored.
        var sent = Python(MessageFile("大きすぎる本文", bodyBytes: 4_000_000), "hanako@example.co.jp", ["a@partner.co.jp"], auth: auth);
        var tooBig = sent.Single(r => r.Step == "data");
        Assert.True(tooBig is (_, 552, _) or (_, 0, "disconnected"), $"{tooBig}");

        var broken = Path.Combine(App.Folder, "broken.eml");
        File.WriteAllText(broken, "no header here, just text\r\n");
        var malformed = Python(broken, "hanako@example.co.jp", ["a@partner.co.jp"], auth: auth);
        var reply = malformed.Single(r => r.Step == "data");
        Assert.Equal(554, reply.Code);
        Assert.StartsWith("5.6.0", reply.Text, StringComparison.Ordinal);

        Assert.Empty((await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray());
    }

    [ToolFact("python3")]
    public async Task A_credential_belongs_to_its_tenant_shows_its_password_once_and_stops_when_deleted()
    {
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        var (user, password) = await CredentialAsync(other);
        var replies = Python(MessageFile("他テナント"), "boss@other.example", ["x@partner.co.jp"], auth: (user, password));
        var id = QueuedId(replies.Single(r => r.Step == "data").Text);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/v1/messages/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync($"/v1/messages/{id}")).StatusCode);

        var list = await (await other.GetAsync("/v1/smtp/credentials")).Content.ReadAsStringAsync();
        Assert.Contains(user, list, StringComparison.Ordinal);
        Assert.DoesNotContain(password, list, StringComparison.Ordinal);
        Assert.DoesNotContain(user, await (await Client.GetAsync("/v1/smtp/credentials")).Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var credentialId = JsonDocument.Parse(list).RootElement.GetProperty("items")[0].Str("id");
        Assert.Equal(HttpStatusCode.NotFound, (await Client.DeleteAsync($"/v1/smtp/credentials/{credentialId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await other.DeleteAsync($"/v1/smtp/credentials/{credentialId}")).StatusCode);
        var after = Python(MessageFile("削除後"), "boss@other.example", ["x@partner.co.jp"], auth: (user, password));
        Assert.Equal(535, after.Single(r => r.Step == "auth").Code);
    }

    [ToolFact("python3")]
    public async Task A_client_that_sends_again_after_a_lost_250_gets_the_same_answer_and_no_second_message()
    {
        var (user, password) = await CredentialAsync(Client);
        var message = MessageFile("再送の件");
        var first = QueuedId(Python(message, "hanako@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "data").Text);
        var again = QueuedId(Python(message, "hanako@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "data").Text);
        Assert.Equal(first, again);

        // The same mail in another transaction to other recipients (a relay splitting it) is another message.
        var split = QueuedId(Python(message, "hanako@example.co.jp", ["sato@client.example"], auth: (user, password)).Single(r => r.Step == "data").Text);
        Assert.NotEqual(first, split);

        await App.DeliverDueAsync();
        Assert.Single(Smtp.Received, r => r.To.Contains("tanaka@partner.co.jp"));
        Assert.Single(Smtp.Received, r => r.To.Contains("sato@client.example"));
        Assert.Equal(2, (await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").GetArrayLength());
    }

    [ToolFact("python3")]
    public async Task A_big_message_is_archived_as_received_and_delivered_with_its_attachment_once_even_when_sent_again()
    {
        // Above a mebibyte the door keeps the message in a temporary file, not a second copy in memory.
        var (user, password) = await CredentialAsync(Client);
        var file = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1_500_000);
        var mime = new MimeKit.MimeMessage();
        mime.From.Add(MimeKit.MailboxAddress.Parse("hanako@example.co.jp"));
        mime.To.Add(MimeKit.MailboxAddress.Parse("tanaka@partner.co.jp"));
        mime.Subject = "図面の送付";
        mime.MessageId = Guid.NewGuid().ToString("N") + "@example.co.jp";
        var body = new MimeKit.BodyBuilder { TextBody = "図面をお送りします。" };
        body.Attachments.Add("設計図面.bin", file);
        mime.Body = body.ToMessageBody();
        var path = Path.Combine(App.Folder, "big.eml");
        await mime.WriteToAsync(SendGate.Core.Mime.MessageIntake.WriteFormat, path);
        var sent = await File.ReadAllBytesAsync(path);

        var first = QueuedId(Python(path, "hanako@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "data").Text);
        var again = QueuedId(Python(path, "hanako@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "data").Text);
        Assert.Equal(first, again);

        var archived = await Client.GetByteArrayAsync($"/v1/messages/{first}/mime");
        Assert.StartsWith("Received: from [127.0.0.1]", Encoding.ASCII.GetString(archived, 0, 40), StringComparison.Ordinal);
        // The server hands over the data without the CRLF that ends its last line (it reads it as the start of "<CRLF>.<CRLF>").
        var data = sent.AsSpan(0, sent.Length - 2);
        Assert.True(archived.AsSpan(archived.Length - data.Length).SequenceEqual(data));

        await App.DeliverDueAsync();
        var delivered = Assert.Single(Smtp.Received).Parse();
        var attachment = Assert.IsType<MimeKit.MimePart>(delivered.Attachments.Single());
        Assert.Equal("設計図面.bin", attachment.FileName);
        using var decoded = new MemoryStream();
        attachment.Content!.DecodeTo(decoded);
        Assert.Equal(file, decoded.ToArray());
    }

    [ToolFact("python3")]
    public async Task A_review_hold_over_smtp_mails_the_internal_sender_a_hold_notice()
    {
        await Client.SetPolicyAsync(Rule("check", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
        var (user, password) = await CredentialAsync(Client);
        var id = QueuedId(Python(MessageFile("保留される件"), "hanako@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "data").Text);
        Assert.Equal("held", (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status"));
        await App.DeliverNotificationsAsync();
        var notice = Smtp.Received.Select(r => r.Parse()).Single(m => m.Subject == "【保留中】保留される件");
        Assert.Equal("hanako@example.co.jp", notice.To.Mailboxes.Single().Address);
        Assert.Contains("/console/link/", notice.TextBody, StringComparison.Ordinal);
    }

    [ToolFact("python3")]
    public async Task A_delivery_report_with_a_null_reverse_path_goes_through_leaves_with_mail_from_empty_and_is_sent_nothing_back()
    {
        var (user, password) = await CredentialAsync(Client);
        Smtp.RecipientRule = rcpt => rcpt == "gone@partner.co.jp" ? new SmtpResponse((SmtpReplyCode)550, "5.1.1 no such user") : null;

        // What Exchange sends out for an NDR or an out-of-office reply: MAIL FROM:<> (RFC 5321 §4.5.5, RFC 3834).
        var report = MessageFile("配信不能: お見積りの件", to: "tanaka@partner.co.jp, gone@partner.co.jp");
        File.WriteAllText(report, File.ReadAllText(report).Replace("From: Hanako <hanako@example.co.jp>", "From: Postmaster <postmaster@example.co.jp>", StringComparison.Ordinal));
        var replies = Python(report, "", ["tanaka@partner.co.jp", "gone@partner.co.jp"], auth: (user, password));
        Assert.Equal(250, replies.Single(r => r.Step == "mail").Code);
        var data = replies.Single(r => r.Step == "data");
        Assert.Equal(250, data.Code);
        var id = QueuedId(data.Text);
        Assert.Equal("", (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("envelopeFrom"));

        // It leaves with the null reverse path too, and the recipient the relay refused is not reported to anyone.
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var sent = Assert.Single(Smtp.Received);
        Assert.Null(sent.From);
        Assert.Equal(["tanaka@partner.co.jp"], sent.To);
        Assert.Equal(0, await App.DeliverNotificationsAsync());

        // Held for review, it is not announced to anyone either.
        await Client.SetPolicyAsync(Rule("check", [new { type = "hold", mode = "review" }], new { type = "externalRecipients" }));
        var held = QueuedId(Python(MessageFile("自動応答: 不在のお知らせ"), "", ["tanaka@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "data").Text);
        Assert.Equal("held", (await (await Client.GetAsync($"/v1/messages/{held}")).JsonAsync()).Str("status"));
        Assert.Equal(0, await App.DeliverNotificationsAsync());

        // A malformed sender is still refused.
        Assert.Equal(553, Python(MessageFile("x"), new string('a', 250) + "@example.co.jp", ["tanaka@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "mail").Code);
    }

    [ToolFact("python3")]
    public async Task Guessing_passwords_is_cut_short_per_client_address_as_for_api_keys()
    {
        var (user, password) = await CredentialAsync(Client);
        var message = MessageFile("推測");
        // Each smtplib login tries PLAIN and then LOGIN: two failures a guess, four allowed.
        Assert.Equal(535, Python(message, "hanako@example.co.jp", ["a@partner.co.jp"], auth: (user, "guess-1")).Single(r => r.Step == "auth").Code);
        Assert.Equal(535, Python(message, "hanako@example.co.jp", ["a@partner.co.jp"], auth: (user, "guess-2")).Single(r => r.Step == "auth").Code);

        // Used up: even the right password waits for the window to pass.
        var refused = Python(message, "hanako@example.co.jp", ["a@partner.co.jp"], auth: (user, password)).Single(r => r.Step == "auth");
        Assert.Equal(454, refused.Code);
        Assert.StartsWith("4.7.0", refused.Text, StringComparison.Ordinal);
    }
}
