using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests;

/// <summary>Submissions as raw MIME (<c>message/rfc822</c>): what is refused, and what is read from the message.</summary>
public sealed class MimeValidationTests : AppTest
{
    [Fact]
    public async Task Random_binary_bytes_are_malformed_mime()
    {
        var bytes = new byte[4096];
        new Random(20261128).NextBytes(bytes);

        var response = await PostMimeAsync(bytes);

        await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-mime", "body");
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("Hello,\r\nthis is a plain letter without any header section.\r\n")]
    [InlineData("\r\nonly a body after an empty header section\r\n")]
    [InlineData("")]
    public async Task Text_without_a_header_section_is_malformed_mime(string text)
    {
        var response = await PostMimeAsync(Encoding.UTF8.GetBytes(text));

        await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-mime", "body");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Mime_without_from_is_an_invalid_address()
    {
        var response = await PostMimeAsync(Raw("To: to@example.com\r\nSubject: no sender\r\n\r\nbody\r\n"));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-address", "From");
        Assert.Contains("From", problem.Str("detail"));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Mime_with_an_undeliverable_recipient_names_the_header()
    {
        var response = await PostMimeAsync(Raw("From: a@example.com\r\nTo: ok@example.com\r\nCc: someone@nodot\r\n\r\nbody\r\n"));

        await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-address", "Cc");
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("From: a@example.com\r\nSubject: nobody\r\n\r\nbody\r\n")]
    [InlineData("From: a@example.com\r\nTo: undisclosed-recipients:;\r\nSubject: empty group\r\n\r\nbody\r\n")]
    public async Task Mime_without_any_recipient_is_refused(string text)
    {
        var response = await PostMimeAsync(Raw(text));

        await response.ProblemAsync(HttpStatusCode.BadRequest, "no-recipient", "To");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task SendAt_in_the_query_holds_a_mime_message()
    {
        var sendAt = SendGateApp.Start.AddHours(3);

        var response = await PostMimeAsync(Raw("From: a@example.com\r\nTo: b@example.com\r\nSubject: later\r\n\r\nbody\r\n"),
            $"?sendAt={Uri.EscapeDataString(sendAt.ToString("O"))}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.JsonAsync();
        Assert.Equal("held", accepted.Str("status"));
        Assert.Equal(sendAt, accepted.GetProperty("releaseAt").GetDateTimeOffset());

        var details = await (await Client.GetAsync($"/v1/messages/{accepted.Str("id")}")).JsonAsync();
        Assert.Equal("held", details.Str("status"));
        Assert.Equal("mime", details.Str("source"));
    }

    [Theory]
    [InlineData("next-tuesday", "invalid-field")]
    [InlineData("2026-11-28T18:00:00", "invalid-field")]
    [InlineData("2026-11-28T08:00:00Z", "send-at-in-past")]
    public async Task Bad_sendAt_in_the_query_is_refused_for_mime(string sendAt, string code)
    {
        var response = await PostMimeAsync(Raw("From: a@example.com\r\nTo: b@example.com\r\n\r\nbody\r\n"), $"?sendAt={Uri.EscapeDataString(sendAt)}");

        await response.ProblemAsync(HttpStatusCode.BadRequest, code, "sendAt");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Raw_shift_jis_subject_is_decoded_with_the_declared_charset()
    {
        const string subject = "見積書の送付について（株式会社テスト様）";
        var shiftJis = Encoding.GetEncoding("shift_jis");
        var raw = new List<byte>();
        raw.AddRange(Raw("From: sender@example.co.jp\r\nTo: to@example.com\r\nSubject: "));
        raw.AddRange(shiftJis.GetBytes(subject));
        raw.AddRange(Raw("\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=shift_jis\r\n\r\n"));
        raw.AddRange(shiftJis.GetBytes("本文です。\r\n"));
        Assert.Contains(raw, b => b >= 0x80);

        using var content = new ByteArrayContent(raw.ToArray());
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("message/rfc822; charset=shift_jis");
        var response = await Client.PostAsync("/v1/messages", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.JsonAsync()).Str("id");
        var details = await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();
        Assert.Equal(subject, details.Str("subject"));
        var listed = await (await Client.GetAsync($"/v1/messages?subject={Uri.EscapeDataString("見積書")}")).JsonAsync();
        Assert.Equal(id, Assert.Single(listed.GetProperty("items").EnumerateArray()).Str("id"));

        // The stored original is the submitted bytes, not a re-encoding.
        Assert.Equal(raw.ToArray(), await (await Client.GetAsync($"/v1/messages/{id}/mime")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Encoded_word_subject_needs_no_charset_parameter()
    {
        var response = await PostMimeAsync(Raw("From: a@example.com\r\nTo: b@example.com\r\nSubject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=\r\n\r\nbody\r\n"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var details = await (await Client.GetAsync($"/v1/messages/{(await response.JsonAsync()).Str("id")}")).JsonAsync();
        Assert.Equal("日本語", details.Str("subject"));
    }

    [Fact]
    public async Task Mime_envelope_takes_to_cc_and_bcc_once_each()
    {
        var response = await PostMimeAsync(Raw(
            "From: Sender <a@example.com>\r\nTo: b@example.com, Team: c@example.com, d@example.com;\r\nCc: B@example.com, e@example.com\r\nBcc: f@example.com\r\n\r\nbody\r\n"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var details = await (await Client.GetAsync($"/v1/messages/{(await response.JsonAsync()).Str("id")}")).JsonAsync();
        var recipients = details.GetProperty("recipients").EnumerateArray().Select(r => $"{r.Str("kind")}:{r.Str("address")}").ToList();
        Assert.Equal(["to:b@example.com", "to:c@example.com", "to:d@example.com", "cc:e@example.com", "bcc:f@example.com"], recipients);
        Assert.Equal("a@example.com", details.Str("envelopeFrom"));
    }

    private static byte[] Raw(string text) => Encoding.ASCII.GetBytes(text);

    private Task<HttpResponseMessage> PostMimeAsync(byte[] raw, string query = "")
    {
        var content = new ByteArrayContent(raw);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        return Client.PostAsync("/v1/messages" + query, content);
    }

    private async Task AssertNothingStoredAsync()
    {
        var list = await (await Client.GetAsync("/v1/messages")).JsonAsync();
        Assert.Equal(JsonValueKind.Array, list.GetProperty("items").ValueKind);
        Assert.Empty(list.GetProperty("items").EnumerateArray());
    }
}
