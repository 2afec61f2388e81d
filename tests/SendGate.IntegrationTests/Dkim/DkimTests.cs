using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SendGate.IntegrationTests.Contract;
using SendGate.IntegrationTests.Infrastructure;
using SendGate.Tests.ExternalTools;
using static SendGate.IntegrationTests.Dkim.DkimVerifier;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Dkim;

/// <summary>
/// SendGate signs what it sends, after every change it makes, with the tenant's key for the From
/// domain: checked by dkimpy (python3-dkim, independent of MimeKit) on the bytes the real SMTP
/// relay received, with the TXT record exactly as the API told the tenant to publish it.
/// </summary>
public sealed class DkimTests : AppWithSmtpTest
{
    private const string Verifier = DkimVerifier.Tool;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // SendGate's own mails (approval requests, notices) come from the tenant's domain here, so its key signs them too.
        ["SendGate:Notifications:From"] = "SendGate <sendgate@example.co.jp>",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private async Task<JsonElement> CreateKeyAsync(string domain, string? selector = null)
    {
        var response = await Client.PostAsJsonAsync("/v1/dkim/keys", selector is null ? new { domain } : (object)new { domain, selector });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    private async Task<JsonElement> ActivateAsync(string id)
    {
        var response = await Client.PostAsync($"/v1/dkim/keys/{id}/activate", null);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    private List<DkimVerdict> Verify(byte[] raw, params string[] records) => DkimVerifier.Verify(App.Folder, raw, records);

    [ToolFact(Verifier)]
    public async Task The_zipped_mail_with_bcc_conversion_and_its_password_mail_are_signed_as_the_relay_received_them_and_a_changed_byte_fails()
    {
        var key = await ActivateAsync((await CreateKeyAsync("example.co.jp", "sel2026")).Str("id"));
        await Client.SetPolicyAsync(
            Rule("zip", [new { type = "encryptAttachments", passwordDelay = "PT5M" }], new { type = "externalRecipients" }, new { type = "attachmentCount", min = 1 }),
            Rule("bcc", [new { type = "convertToBcc", threshold = 2, replaceTo = "undisclosed" }], new { type = "externalRecipients" }));
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "山田 花子 <hanako@example.co.jp>"),
            ("to", new[] { "田中 <tanaka@partner.co.jp>", "sato@client.example" }), ("subject", "お見積りの件　（第2版）"),
            ("text", "お世話になっております。\n見積書を添付いたします。  \n\n行末の空白も、長い行も、" + new string('あ', 600) + "\n"),
            ("attachments", new[] { Attachment("見積書.txt", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("見積金額 1,234,000円\n", 100))), "text/plain") })));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync()).Str("id");

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var main = Assert.Single(Smtp.Received);
        var parsed = main.Parse();
        Assert.Empty(parsed.To.Mailboxes);
        Assert.Equal("application/zip", Assert.Single(parsed.Attachments.OfType<MimeKit.MimePart>()).ContentType.MimeType);
        AssertSignedBy(Verify(main.Raw, Record(key)), "example.co.jp", "sel2026");

        // The archive keeps what the relay received, signature included.
        var sent = await Client.GetByteArrayAsync($"/v1/messages/{id}/sent");
        AssertSignedBy(Verify(sent, Record(key)), "example.co.jp", "sel2026");

        // One changed byte of the body, and the same verifier says no: it really checks.
        var text = Encoding.ASCII.GetString(main.Raw);
        var at = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        var zipLine = text.IndexOf("UEsD", at, StringComparison.Ordinal);
        Assert.True(zipLine > 0, "the zip's base64 (PK..) is in the body");
        var tampered = (byte[])main.Raw.Clone();
        tampered[zipLine] = (byte)'V';
        var verdict = Assert.Single(Verify(tampered, Record(key)));
        Assert.False(verdict.Verified);
        Assert.Contains("body hash mismatch", verdict.Error);

        // The password mail is written by SendGate later, and signed the same way.
        App.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await App.DeliverPasswordMailsAsync());
        var password = Smtp.Received.Last();
        Assert.Contains("パスワード", password.Parse().Subject);
        AssertSignedBy(Verify(password.Raw, Record(key)), "example.co.jp", "sel2026");
    }

    [ToolFact(Verifier)]
    public async Task Raw_mime_with_8bit_parts_and_the_senders_own_signature_is_signed_on_top_after_rewriting_and_verifies_as_received()
    {
        var key = await ActivateAsync((await CreateKeyAsync("example.co.jp", "s1")).Str("id"));
        await Client.SetPolicyAsync(Rule("tag", [new { type = "addHeader", name = "X-Checked-By", value = "SendGate" }], new { type = "externalRecipients" }));
        // As a mail server hands it over: 8-bit UTF-8 body, folded headers, its own (now stale) signature.
        var raw = Encoding.UTF8.GetBytes(
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.co.jp; s=exchange;\r\n\th=from:to:subject; bh=AAAA; b=BBBB\r\n"
            + "From: =?UTF-8?B?5bGx55Sw?= <hanako@example.co.jp>\r\nTo: tanaka@partner.co.jp,\r\n  sato@partner.co.jp\r\nBcc: boss@example.co.jp\r\n"
            + "Subject: =?UTF-8?B?5qGI5Lu2?=\r\nMessage-ID: <raw-1@example.co.jp>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0900\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + "田中様\r\n\r\nいつもお世話になっております。   \r\n" + string.Concat(Enumerable.Repeat("本文の行です。\r\n", 50)));
        using var content = new ByteArrayContent(raw);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("message/rfc822");
        var response = await Client.PostAsync("/v1/messages", content);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var received = Assert.Single(Smtp.Received);
        var signatures = Verify(received.Raw, Record(key));
        Assert.Equal(2, signatures.Count);
        Assert.True(signatures[0].Verified, signatures[0].Error);
        Assert.Equal(("example.co.jp", "s1"), (signatures[0].D, signatures[0].S));
        // The sender's own stays below (a receiver ignores one that no longer verifies); SendGate's is on top.
        Assert.Equal("exchange", signatures[1].S);
        var parsed = received.Parse();
        Assert.Equal("SendGate", parsed.Headers["X-Checked-By"]);
        Assert.False(parsed.Headers.Contains(MimeKit.HeaderId.Bcc));
        Assert.Contains("いつもお世話になっております。", parsed.TextBody);
        Assert.Contains(received.To, a => a == "boss@example.co.jp");
    }

    [ToolFact(Verifier)]
    public async Task Mail_from_a_subdomain_and_sendgates_own_notices_are_signed_and_mail_of_a_domain_without_an_active_key_leaves_unsigned()
    {
        var key = await ActivateAsync((await CreateKeyAsync("example.co.jp")).Str("id"));
        var selector = key.Str("selector");
        Assert.Matches("^sg[0-9]{8}$", selector);

        // mail.example.co.jp has no key of its own: its parent's signs it (DMARC's relaxed alignment accepts it).
        var sub = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "info@mail.example.co.jp"), ("to", new[] { "tanaka@partner.co.jp" })));
        Assert.Equal(HttpStatusCode.Accepted, sub.StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        AssertSignedBy(Verify(Smtp.Received.Last().Raw, Record(key)), "example.co.jp", selector);

        // A pending key signs nothing: its record may not be published yet.
        await Client.SetInternalDomainsAsync("example.co.jp", "example.jp");
        await CreateKeyAsync("example.jp");
        var other = await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "info@example.jp"), ("to", new[] { "tanaka@partner.co.jp" })));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Empty(Verify(Smtp.Received.Last().Raw));
        Assert.DoesNotContain("DKIM-Signature", Encoding.UTF8.GetString(Smtp.Received.Last().Raw), StringComparison.OrdinalIgnoreCase);

        // An approval request is SendGate's own mail, from SendGate:Notifications:From.
        await Client.SetDefaultApproversAsync("boss@example.co.jp");
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "PT4H" }], new { type = "externalRecipients" }));
        var held = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" })));
        Assert.Equal(HttpStatusCode.Accepted, held.StatusCode);
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        var request = Smtp.Received.Last();
        Assert.Contains("boss@example.co.jp", request.To);
        AssertSignedBy(Verify(request.Raw, Record(key)), "example.co.jp", selector);
    }

    [ToolFact(Verifier)]
    public async Task Rotation_signs_with_the_new_selector_from_activation_on_and_the_old_key_can_then_be_deleted()
    {
        var first = await ActivateAsync((await CreateKeyAsync("example.co.jp", "old")).Str("id"));
        var second = await CreateKeyAsync("example.co.jp", "new");
        Assert.Equal("pending", second.Str("status"));

        async Task<byte[]> SendAsync()
        {
            var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { "tanaka@partner.co.jp" })));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
            return Smtp.Received.Last().Raw;
        }

        AssertSignedBy(Verify(await SendAsync(), Record(first)), "example.co.jp", "old");

        // The active key is not deleted while it signs.
        var refused = await Client.DeleteAsync($"/v1/dkim/keys/{first.Str("id")}");
        await refused.ProblemAsync(HttpStatusCode.Conflict, "dkim-key-active");

        var activated = await ActivateAsync(second.Str("id"));
        Assert.Equal("active", activated.Str("status"));
        var list = (await (await Client.GetAsync("/v1/dkim/keys")).JsonAsync()).GetProperty("items").EnumerateArray()
            .ToDictionary(k => k.Str("selector"), k => k.Str("status"));
        Assert.Equal(new Dictionary<string, string> { ["new"] = "active", ["old"] = "retired" }, list);

        var after = await SendAsync();
        AssertSignedBy(Verify(after, Record(second)), "example.co.jp", "new");
        // Only the new record verifies it: the signature really is the new key's.
        Assert.False(Assert.Single(Verify(after, $"new._domainkey.example.co.jp={first.GetProperty("dnsRecord").Str("value")}")).Verified);

        Assert.Equal(HttpStatusCode.NoContent, (await Client.DeleteAsync($"/v1/dkim/keys/{first.Str("id")}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/v1/dkim/keys/{first.Str("id")}")).StatusCode);

        // Retiring the last key stops signing.
        Assert.Equal("retired", (await (await Client.PostAsync($"/v1/dkim/keys/{second.Str("id")}/retire", null)).JsonAsync()).Str("status"));
        Assert.Empty(Verify(await SendAsync()));
    }

    [Fact]
    public async Task A_key_is_published_as_a_txt_record_its_private_half_is_encrypted_at_rest_and_never_shown_and_other_tenants_cannot_see_it()
    {
        var key = await CreateKeyAsync("example.co.jp", "s1");
        Assert.Equal("pending", key.Str("status"));
        Assert.Equal("rsa-sha256", key.Str("algorithm"));
        Assert.Equal(2048, key.GetProperty("keySize").GetInt32());
        var record = key.GetProperty("dnsRecord");
        Assert.Equal("s1._domainkey.example.co.jp", record.Str("name"));
        Assert.Equal("TXT", record.Str("type"));
        var value = record.Str("value");
        Assert.StartsWith("v=DKIM1; k=rsa; p=", value);
        using (var rsa = RSA.Create())
        {
            rsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(value["v=DKIM1; k=rsa; p=".Length..]), out _);
            Assert.Equal(2048, rsa.KeySize);
        }

        // Strings of at most 255 characters, joined by resolvers into the value.
        var zone = record.Str("zoneFileLine");
        Assert.StartsWith("s1._domainkey.example.co.jp. IN TXT ( \"v=DKIM1; k=rsa; p=", zone);
        Assert.Equal(value, string.Concat(System.Text.RegularExpressions.Regex.Matches(zone, "\"([^\"]*)\"").Select(m => m.Groups[1].Value)));
        Assert.All(System.Text.RegularExpressions.Regex.Matches(zone, "\"([^\"]*)\""), m => Assert.True(m.Groups[1].Length <= 255));

        var json = await (await Client.GetAsync($"/v1/dkim/keys/{key.Str("id")}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("private", json, StringComparison.OrdinalIgnoreCase);

        // At rest: ciphertext, not a key a reader of the database could use.
        using (var connection = new SqliteConnection(App.ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT private_key FROM dkim_keys";
            var stored = (byte[])command.ExecuteScalar()!;
            using var rsa = RSA.Create();
            Assert.ThrowsAny<CryptographicException>(() => rsa.ImportPkcs8PrivateKey(stored, out _));
            Assert.DoesNotContain("MII", Encoding.ASCII.GetString(stored), StringComparison.Ordinal);
        }

        using var otherClient = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        Assert.Empty((await (await otherClient.GetAsync("/v1/dkim/keys")).JsonAsync()).GetProperty("items").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.GetAsync($"/v1/dkim/keys/{key.Str("id")}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.PostAsync($"/v1/dkim/keys/{key.Str("id")}/activate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.DeleteAsync($"/v1/dkim/keys/{key.Str("id")}")).StatusCode);
        Assert.Equal("pending", (await (await Client.GetAsync($"/v1/dkim/keys/{key.Str("id")}")).JsonAsync()).Str("status"));
    }

    [Fact]
    public async Task Keys_are_only_for_the_tenants_own_domains_with_valid_selectors_and_sizes_and_a_selector_is_used_once()
    {
        async Task RefusedAsync(object body, string field)
        {
            var response = await Client.PostAsJsonAsync("/v1/dkim/keys", body);
            await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", field);
        }

        await RefusedAsync(new { domain = "partner.co.jp" }, "domain");
        await RefusedAsync(new { domain = "not a domain" }, "domain");
        await RefusedAsync(new { domain = "localhost" }, "domain");
        await RefusedAsync(new { domain = "example.co.jp", selector = "two words" }, "selector");
        await RefusedAsync(new { domain = "example.co.jp", selector = "a." + new string('b', 70) }, "selector");
        await RefusedAsync(new { domain = "example.co.jp", keySize = 1024 }, "keySize");

        // A Japanese domain is published as its A-label, which DKIM's d= uses.
        await Client.SetInternalDomainsAsync("example.co.jp", "例え.jp");
        var idn = await CreateKeyAsync("例え.JP");
        Assert.Equal("xn--r8jz45g.jp", idn.Str("domain"));
        Assert.EndsWith("._domainkey.xn--r8jz45g.jp", idn.GetProperty("dnsRecord").Str("name"));

        // A subdomain of an internal domain is the tenant's too.
        Assert.Equal("mail.example.co.jp", (await CreateKeyAsync("Mail.Example.co.jp.")).Str("domain"));

        await CreateKeyAsync("example.co.jp", "s1");
        var again = await Client.PostAsJsonAsync("/v1/dkim/keys", new { domain = "example.co.jp", selector = "s1" });
        await again.ProblemAsync(HttpStatusCode.Conflict, "dkim-selector-taken");

        // Unknown members are refused as everywhere.
        var unknown = await Client.PostAsJsonAsync("/v1/dkim/keys", new { domain = "example.co.jp", privateKey = "…" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);

        // Only admins manage keys.
        using var sender = App.ClientFor(await App.CreateKeyAsync("sender"));
        Assert.Equal(HttpStatusCode.Forbidden, (await sender.GetAsync("/v1/dkim/keys")).StatusCode);

        // Every change is in the audit trail.
        var audit = (await (await Client.GetAsync("/v1/audit")).JsonAsync()).GetProperty("items").EnumerateArray()
            .Select(e => e.Str("action")).ToList();
        Assert.Contains("POST /v1/dkim/keys/", audit);
    }
}
