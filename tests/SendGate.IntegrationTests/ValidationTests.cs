using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary>Input errors on <c>POST /v1/messages</c> (JSON): each is a problem naming the field, and nothing is stored.</summary>
public sealed class ValidationTests : AppTest
{
    private const int MaxRequestBytes = 4096;
    private const int MaxRecipients = 5;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["SendGate:Limits:MaxRequestBytes"] = MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SendGate:Limits:MaxRecipients"] = MaxRecipients.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static TheoryData<string, string, string> InvalidAddresses => new()
    {
        { "from", "\"not an address\"", "from" },
        { "from", "\"sender@\"", "from" },
        { "from", "\"\"", "from" },
        { "to", "[\"ok@example.com\", \"no-at-sign.example.com\"]", "to[1]" },
        { "to", "[\"user@nodot\"]", "to[0]" },
        { "cc", "[\"a b@example.com\"]", "cc[0]" },
        { "bcc", "[\"@example.com\"]", "bcc[0]" },
    };

    [Theory]
    [MemberData(nameof(InvalidAddresses))]
    public async Task Invalid_address_is_refused_and_names_the_field(string property, string json, string field)
    {
        var response = await PostAsync(Mail((property, JsonDocument.Parse(json).RootElement)));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-address", field);
        Assert.Equal("Invalid e-mail address", problem.Str("title"));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Message_without_any_recipient_is_refused()
    {
        var response = await PostAsync(Mail(("to", Array.Empty<string>())));

        await response.ProblemAsync(HttpStatusCode.BadRequest, "no-recipient", "to");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Quoted_local_part_with_a_space_is_a_valid_address()
    {
        var response = await PostAsync(Mail(("to", new[] { "\"john doe\"@example.com" })));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Bcc_alone_is_a_recipient()
    {
        var response = await PostAsync(Mail(("to", null), ("bcc", new[] { "hidden@example.com" })));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Every_violation_is_listed_not_only_the_first()
    {
        var response = await PostAsync(Mail(("from", "nope"), ("to", new[] { "bad" }), ("subject", "a\nb")));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-address", "from");
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("to[0]", out _));
        Assert.True(errors.TryGetProperty("subject", out _));
        Assert.Equal(3, problem.GetProperty("violations").GetArrayLength());
        Assert.Contains("more problem", problem.Str("detail"));
    }

    public static TheoryData<string, string, string> HeaderInjections => new()
    {
        { "subject", """ "Hello\r\nBcc: victim@example.com" """, "subject" },
        { "subject", """ "Hello\nBcc: victim@example.com" """, "subject" },
        { "subject", """ "Hello\rBcc: victim@example.com" """, "subject" },
        { "headers", """ { "X-Tag": "a\r\nBcc: victim@example.com" } """, "headers.X-Tag" },
        { "to", """ [ "to@example.com\r\nBcc: victim@example.com" ] """, "to[0]" },
        { "from", """ "sender@example.com\nBcc: victim@example.com" """, "from" },
        { "replyTo", """ [ "reply@example.com\r\nX-Evil: 1" ] """, "replyTo[0]" },
        { "attachments", """ [ { "filename": "a.txt\r\nBcc: victim@example.com", "content": "aGVsbG8=" } ] """, "attachments[0].filename" },
        { "attachments", """ [ { "filename": "a.txt", "contentType": "text/plain\r\nBcc: victim@example.com", "content": "aGVsbG8=" } ] """, "attachments[0].contentType" },
    };

    [Theory]
    [MemberData(nameof(HeaderInjections))]
    public async Task Line_break_in_a_header_field_is_header_injection_and_nothing_is_stored(string property, string json, string field)
    {
        var response = await PostAsync(Mail((property, JsonDocument.Parse(json).RootElement)));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "header-injection", field);
        Assert.Equal("Line break in a header field", problem.Str("title"));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Attachment_content_that_is_not_base64_is_refused()
    {
        var attachments = new object[]
        {
            new { filename = "ok.txt", content = Convert.ToBase64String("fine"u8.ToArray()) },
            new { filename = "bad.bin", content = "this is *not* base64!" },
        };

        var response = await PostAsync(Mail(("attachments", attachments)));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-base64", "attachments[1].content");
        Assert.False(problem.GetProperty("errors").TryGetProperty("attachments[0].content", out _));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Line_wrapped_base64_is_accepted()
    {
        var wrapped = Convert.ToBase64String(new byte[200], Base64FormattingOptions.InsertLineBreaks);
        Assert.Contains("\r\n", wrapped);

        var response = await PostAsync(Mail(("attachments", new[] { new { filename = "zeros.bin", content = wrapped } })));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("Bcc")]
    [InlineData("bcc")]
    [InlineData("From")]
    [InlineData("Content-Type")]
    [InlineData("Subject")]
    public async Task Reserved_header_through_headers_is_refused(string name)
    {
        var response = await PostAsync(Mail(("headers", new Dictionary<string, string> { [name] = "victim@example.com" })));

        await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-header", $"headers.{name}");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Header_name_that_is_not_a_field_name_is_refused()
    {
        var response = await PostAsync(Mail(("headers", new Dictionary<string, string> { ["X Bad:Name"] = "v" })));

        await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-header", "headers.X Bad:Name");
    }

    [Fact]
    public async Task Body_over_the_limit_with_content_length_is_413()
    {
        using var content = JsonContent.Create(Mail(("text", new string('x', MaxRequestBytes))));
        await content.LoadIntoBufferAsync();
        Assert.True(content.Headers.ContentLength > MaxRequestBytes);

        var response = await Client.PostAsync("/v1/messages", content);

        var problem = await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.Equal(MaxRequestBytes, problem.GetProperty("limit").GetInt64());
        Assert.Contains("MaxRequestBytes", problem.Str("detail"));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_without_content_length_is_413()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(Mail(("text", new string('x', MaxRequestBytes * 3))));
        using var content = new StreamContent(new UnknownLengthStream(json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.Null(content.Headers.ContentLength);

        var response = await Client.PostAsync("/v1/messages", content);

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Chunked_body_within_the_limit_is_accepted()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(Mail());
        using var content = new StreamContent(new UnknownLengthStream(json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.Null(content.Headers.ContentLength);

        var response = await Client.PostAsync("/v1/messages", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task Unsupported_media_type_is_415(string contentType)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(Mail()));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        var response = await Client.PostAsync("/v1/messages", content);

        var problem = await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Contains(contentType.Split(';')[0], problem.Str("detail"));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Missing_content_type_is_415()
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(Mail()));
        Assert.Null(content.Headers.ContentType);

        var response = await Client.PostAsync("/v1/messages", content);

        var problem = await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Contains("message/rfc822", problem.Str("detail"));
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("{\"from\": ")]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    [InlineData("")]
    [InlineData("null")]
    public async Task Malformed_json_is_400(string body)
    {
        var response = await PostRawAsync(body);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-json");
        Assert.NotEmpty(problem.GetProperty("errors").EnumerateObject());
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Wrong_type_of_a_field_names_the_field()
    {
        var response = await PostRawAsync("{\"from\": \"a@example.com\", \"to\": \"to@example.com\"}");

        await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-json", "to");
    }

    [Fact]
    public async Task Unknown_json_field_is_400_so_a_misspelt_bcc_never_goes_unnoticed()
    {
        var body = Mail(("bcc_list", new[] { "hidden@example.com" }));

        var response = await PostAsync(body);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "malformed-json", "bcc_list");
        Assert.Contains("bcc_list", problem.Str("detail"));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task SendAt_further_in_the_past_than_the_tolerance_is_refused()
    {
        var response = await PostAsync(Mail(("sendAt", SendGateApp.Start.AddMinutes(-6).ToString("O"))));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "send-at-in-past", "sendAt");
        Assert.Equal("sendAt lies in the past", problem.Str("title"));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task SendAt_a_minute_in_the_past_is_clock_skew_and_the_message_is_queued()
    {
        var response = await PostAsync(Mail(("sendAt", SendGateApp.Start.AddMinutes(-1).ToString("O"))));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.JsonAsync();
        Assert.Equal("queued", accepted.Str("status"));
        Assert.Equal(JsonValueKind.Null, accepted.GetProperty("releaseAt").ValueKind);
    }

    [Theory]
    [InlineData("2026-12-01T09:00:00")]
    [InlineData("2026-12-01")]
    [InlineData("tomorrow")]
    [InlineData("2026-13-01T09:00:00Z")]
    public async Task SendAt_that_is_not_rfc3339_with_offset_is_invalid(string sendAt)
    {
        var response = await PostAsync(Mail(("sendAt", sendAt)));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "sendAt");
        Assert.Contains("offset", problem.Str("detail"));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task SendAt_in_the_query_is_refused_for_json()
    {
        var response = await Client.PostAsJsonAsync($"/v1/messages?sendAt={Uri.EscapeDataString(SendGateApp.Start.AddHours(1).ToString("O"))}", Mail());

        await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "sendAt");
    }

    [Fact]
    public async Task Too_many_recipients_counting_to_cc_and_bcc_is_refused()
    {
        var response = await PostAsync(Mail(
            ("to", new[] { "a@example.com", "b@example.com" }),
            ("cc", new[] { "c@example.com", "d@example.com" }),
            ("bcc", new[] { "e@example.com", "f@example.com" })));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "too-many-recipients", "to");
        Assert.Contains(MaxRecipients.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.Str("detail"));
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Exactly_the_maximum_number_of_recipients_is_accepted()
    {
        var to = Enumerable.Range(0, MaxRecipients).Select(i => $"r{i}@example.com").ToArray();

        var response = await PostAsync(Mail(("to", to)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private Task<HttpResponseMessage> PostAsync(Dictionary<string, object?> body) => Client.PostAsJsonAsync("/v1/messages", body);

    private Task<HttpResponseMessage> PostRawAsync(string body)
    {
        var content = new StringContent(body, Encoding.UTF8, "application/json");
        return Client.PostAsync("/v1/messages", content);
    }

    private async Task AssertNothingStoredAsync()
    {
        var list = await Client.GetAsync("/v1/messages");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Empty((await list.JsonAsync()).GetProperty("items").EnumerateArray());
    }

    /// <summary>A body whose length the client cannot know, so it is sent without Content-Length.</summary>
    private sealed class UnknownLengthStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data, writable: false);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 1024));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
