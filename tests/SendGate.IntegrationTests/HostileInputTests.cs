using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary>
/// Submissions built to hurt: each is refused as the client's error it is, at once, and nothing
/// of it is stored or reaches the relay; the mail after it is accepted and delivered as usual.
/// </summary>
public sealed class HostileInputTests : AppWithSmtpTest
{
    // Far more than a request may take here; only reached when a hostile request is worked on for minutes.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("this is not a message")]
    [InlineData("")]
    public async Task Json_attachment_declared_message_rfc822_that_does_not_parse_is_an_invalid_attachment_naming_its_index(string content)
    {
        var attachments = new object[]
        {
            new { filename = "ok.txt", content = Convert.ToBase64String("fine"u8.ToArray()) },
            new { filename = "forwarded.eml", contentType = "message/rfc822", content = Convert.ToBase64String(Encoding.ASCII.GetBytes(content)) },
        };

        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("attachments", attachments)));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-attachment", "attachments[1].content");
        Assert.Contains("message/rfc822", problem.Str("detail"));
        await AssertNothingStoredOrSentAsync();
    }

    [Fact]
    public async Task Json_attachment_that_is_a_real_message_is_attached_as_one()
    {
        var forwarded = Encoding.ASCII.GetBytes("From: a@example.com\r\nTo: b@example.com\r\nSubject: earlier\r\n\r\nthe earlier mail\r\n");
        var attachments = new object[] { new { filename = "earlier.eml", contentType = "message/rfc822", content = Convert.ToBase64String(forwarded) } };

        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("attachments", attachments)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var sent = Assert.Single(Smtp.Received).Parse();
        Assert.Equal("earlier", Assert.IsType<MimeKit.MessagePart>(Assert.Single(sent.Attachments)).Message?.Subject);
    }

    [Fact]
    public async Task Json_attachment_message_with_a_hostile_header_is_refused_before_it_is_parsed()
    {
        var forwarded = Encoding.ASCII.GetBytes("From: a@example.com\r\nX-Long: x" + string.Concat(Enumerable.Repeat("\r\n x", 5000)) + "\r\n\r\nbody\r\n");
        var attachments = new object[] { new { filename = "earlier.eml", contentType = "message/rfc822", content = Convert.ToBase64String(forwarded) } };

        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("attachments", attachments)));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "header-limit", "attachments[0].content");
        Assert.Contains("SendGate:Limits:MaxHeaderLines", problem.Str("detail"));
        await AssertNothingStoredOrSentAsync();
    }

    [Fact]
    public async Task Header_folded_into_three_million_lines_is_refused_at_once_without_reading_it_all()
    {
        // 12 MB: one header, each continuation line " x".
        var raw = new MemoryStream();
        raw.Write("From: a@example.com\r\nTo: b@example.com\r\nX-Long: x"u8);
        var fold = "\r\n x"u8.ToArray();
        for (var i = 0; i < 3_000_000; i++)
        {
            raw.Write(fold);
        }

        raw.Write("\r\nSubject: hi\r\n\r\nbody\r\n"u8);
        Assert.True(raw.Length > 12_000_000);

        var response = await PostMimeAsync(raw.ToArray()).WaitAsync(Patience);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "header-limit", "X-Long");
        Assert.Contains("SendGate:Limits:MaxHeaderLines", problem.Str("detail"));
        await AssertNothingStoredOrSentAsync();
        await AssertNextMailIsDeliveredAsync();
    }

    [Fact]
    public async Task Header_section_larger_than_the_limit_is_refused()
    {
        // 900 fields of 340 bytes: fewer fields than allowed, but 300 KiB.
        var headers = string.Concat(Enumerable.Range(0, 900).Select(i => $"X-Note-{i}: {new string('n', 320)}\r\n"));

        var response = await PostMimeAsync(Encoding.ASCII.GetBytes($"From: a@example.com\r\nTo: b@example.com\r\n{headers}\r\nbody\r\n"));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "header-limit", "body");
        Assert.Contains("SendGate:Limits:MaxHeaderBytes", problem.Str("detail"));
        await AssertNothingStoredOrSentAsync();
    }

    [Fact]
    public async Task More_header_fields_than_the_limit_are_refused()
    {
        var headers = string.Concat(Enumerable.Range(0, 1001).Select(i => $"X-N: {i}\r\n"));

        var response = await PostMimeAsync(Encoding.ASCII.GetBytes($"From: a@example.com\r\nTo: b@example.com\r\n{headers}\r\nbody\r\n"));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "header-limit", "body");
        Assert.Contains("SendGate:Limits:MaxHeaderFields", problem.Str("detail"));
    }

    [Fact]
    public async Task A_part_header_folded_beyond_the_limit_is_refused_like_the_message_header()
    {
        var raw = "From: a@example.com\r\nTo: b@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + "--b\r\nContent-Type: text/plain\r\nX-Long: x" + string.Concat(Enumerable.Repeat("\r\n x", 5000)) + "\r\n\r\nhello\r\n--b--\r\n";

        var response = await PostMimeAsync(Encoding.ASCII.GetBytes(raw));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "header-limit", "body");
        Assert.Contains("part", problem.Str("detail"));
        Assert.Contains("SendGate:Limits:MaxHeaderLines", problem.Str("detail"));
        await AssertNothingStoredOrSentAsync();
    }

    [Fact]
    public async Task Mime_subject_and_display_name_beyond_their_limits_are_refused()
    {
        var subject = await PostMimeAsync(Encoding.ASCII.GetBytes($"From: a@example.com\r\nTo: b@example.com\r\nSubject: {new string('s', 1001)}\r\n\r\nbody\r\n"));
        var problem = await subject.ProblemAsync(HttpStatusCode.BadRequest, "header-limit", "Subject");
        Assert.Contains("SendGate:Limits:MaxSubjectLength", problem.Str("detail"));

        var name = await PostMimeAsync(Encoding.ASCII.GetBytes($"From: a@example.com\r\nTo: \"{new string('n', 300)}\" <b@example.com>\r\n\r\nbody\r\n"));
        problem = await name.ProblemAsync(HttpStatusCode.BadRequest, "header-limit", "To");
        Assert.Contains("SendGate:Limits:MaxDisplayNameLength", problem.Str("detail"));
        await AssertNothingStoredOrSentAsync();
    }

    [Fact]
    public async Task Ten_megabyte_json_subject_is_refused_and_the_worker_is_never_handed_it()
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", new string('件', 10 * 1024 * 1024 / 3))));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "header-limit", "subject");
        Assert.Contains("SendGate:Limits:MaxSubjectLength", problem.Str("detail"));
        await AssertNothingStoredOrSentAsync();
        await AssertNextMailIsDeliveredAsync();
    }

    public static TheoryData<string, object, string, string> JsonBeyondLimits => new()
    {
        { "headers", new Dictionary<string, string> { ["X-Long"] = new('v', 16 * 1024 + 1) }, "headers.X-Long", "MaxHeaderValueLength" },
        { "headers", Enumerable.Range(0, 1001).ToDictionary(i => $"X-N-{i}", i => "v"), "headers", "MaxHeaderFields" },
        { "headers", Enumerable.Range(0, 20).ToDictionary(i => $"X-N-{i}", i => new string('v', 15_000)), "headers", "MaxHeaderBytes" },
        { "from", $"\"{new string('n', 257)}\" <sender@example.co.jp>", "from", "MaxDisplayNameLength" },
        { "to", new[] { $"{new string('n', 100_000)} <to@example.com>" }, "to[0]", "MaxDisplayNameLength" },
        { "attachments", new[] { new { filename = new string('f', 16 * 1024 + 1) + ".txt", content = "aGVsbG8=" } }, "attachments[0].filename", "MaxHeaderValueLength" },
    };

    [Theory]
    [MemberData(nameof(JsonBeyondLimits))]
    public async Task Json_field_beyond_its_header_limit_is_refused_naming_the_limit(string property, object value, string field, string limit)
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail((property, value)));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "header-limit", field);
        Assert.Contains($"SendGate:Limits:{limit}", problem.Str("detail") + string.Join(' ', problem.GetProperty("violations").EnumerateArray().Select(v => v.Str("message"))));
        await AssertNothingStoredOrSentAsync();
    }

    [Fact]
    public async Task A_million_listed_recipients_are_refused_by_count_before_any_is_parsed()
    {
        var to = Enumerable.Range(0, 1_000_000).Select(i => $"r{i}@example.com").ToArray();

        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("to", to))).WaitAsync(Patience);

        await response.ProblemAsync(HttpStatusCode.BadRequest, "too-many-recipients", "to");
        await AssertNothingStoredOrSentAsync();
    }

    [Fact]
    public async Task A_large_but_ordinary_business_mail_is_within_every_limit()
    {
        // 150 Received lines, a DKIM signature, 500 recipients one per line, a long Japanese subject.
        var received = string.Concat(Enumerable.Range(0, 150).Select(i =>
            $"Received: from relay{i}.example.net (relay{i}.example.net [192.0.2.{i % 250}])\r\n\tby mx.example.co.jp with ESMTPS id abc{i}\r\n\tfor <to@example.com>; Fri, 27 Nov 2026 09:00:00 +0900\r\n"));
        var to = string.Join(",\r\n ", Enumerable.Range(0, 500).Select(i => $"\"株式会社テスト 営業部 担当{i} 様\" <r{i}@example.com>"));
        var subject = Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("【重要】お見積りのご送付について", 4))));
        var raw = $"{received}DKIM-Signature: v=1; a=rsa-sha256; d=example.co.jp; s=s1;\r\n\tb={new string('A', 344)}\r\nFrom: sales@example.co.jp\r\nTo: {to}\r\n"
            + $"Subject: =?UTF-8?B?{subject}?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n本文です。\r\n";

        var response = await PostMimeAsync(Encoding.UTF8.GetBytes(raw));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public static TheoryData<string, string, string> HostileBytes => new()
    {
        // The bare CR a relay reads as a line break: a second address on a line of its own.
        { "From: a@example.com\r\nTo: b@example.com,\revil@example.net\r\nSubject: hi\r\n\r\nbody\r\n", "To", "bare CR" },
        { "From: a@example.com\r\nTo: b@example.com\rBcc: evil@example.net\r\n\r\nbody\r\n", "To", "bare CR" },
        { "From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r", "Subject", "CR not followed by LF" },
        { "From: a@example.com\r\nTo: b@example.com\nBcc: evil@example.net\r\nSubject: hi\r\n\r\nbody\r\n", "To", "bare LF" },
        { "From: a@example.com\nTo: b@example.com\r\nBcc: evil@example.net\n\nbody\n", "To", "CRLF" },
        { "From: a@example.com\r\nTo: b@example.com\0evil@example.net\r\n\r\nbody\r\n", "To", "NUL" },
    };

    [Theory]
    [MemberData(nameof(HostileBytes))]
    public async Task Bare_cr_bare_lf_mixed_line_endings_or_nul_in_the_header_section_are_refused_and_the_relay_gets_nothing(string raw, string field, string named)
    {
        var response = await PostMimeAsync(Encoding.ASCII.GetBytes(raw));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "header-injection", field);
        Assert.Contains(named, problem.Str("detail"));
        await AssertNothingStoredOrSentAsync();
        await AssertNextMailIsDeliveredAsync();
    }

    [Fact]
    public async Task Lf_only_message_is_accepted_and_the_relay_gets_exactly_its_recipients()
    {
        var response = await PostMimeAsync("From: a@example.com\nTo: b@example.com\nCc: c@example.com\nSubject: unix\n\nbody\n"u8.ToArray());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal(["b@example.com", "c@example.com"], Assert.Single(Smtp.Received).To.Order(StringComparer.Ordinal));
    }

    public static TheoryData<string, string, string> JsonNul => new()
    {
        { "subject", """ "Hello\u0000Bcc: evil@example.net" """, "subject" },
        { "from", """ "Sen\u0000der <sender@example.co.jp>" """, "from" },
        { "headers", """ { "X-Tag": "a\u0000b" } """, "headers.X-Tag" },
        { "attachments", """ [ { "filename": "a.txt\u0000.exe", "content": "aGVsbG8=" } ] """, "attachments[0].filename" },
    };

    [Theory]
    [MemberData(nameof(JsonNul))]
    public async Task Nul_in_a_json_header_field_is_refused(string property, string json, string field)
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail((property, JsonDocument.Parse(json).RootElement)));

        await response.ProblemAsync(HttpStatusCode.BadRequest, "header-injection", field);
        await AssertNothingStoredOrSentAsync();
    }

    [Fact]
    public async Task Dry_run_refuses_a_hostile_header_the_same_way()
    {
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes("From: a@example.com\r\nTo: b@example.com\rBcc: evil@example.net\r\n\r\nbody\r\n"));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");

        var response = await Client.PostAsync("/v1/policies/evaluate", content);

        await response.ProblemAsync(HttpStatusCode.BadRequest, "header-injection", "To");
    }


    private Task<HttpResponseMessage> PostMimeAsync(byte[] raw)
    {
        var content = new ByteArrayContent(raw);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        return Client.PostAsync("/v1/messages", content);
    }

    private async Task AssertNothingStoredOrSentAsync()
    {
        var list = await (await Client.GetAsync("/v1/messages")).JsonAsync();
        Assert.Empty(list.GetProperty("items").EnumerateArray());
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        Assert.Empty(Smtp.Received);
    }

    /// <summary>The mail after the hostile one goes through as usual, to exactly its recipient.</summary>
    private async Task AssertNextMailIsDeliveredAsync()
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "the next one")));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var received = Assert.Single(Smtp.Received);
        Assert.Equal(["to@example.com"], received.To);
        Assert.Equal("the next one", received.Parse().Subject);
    }
}
