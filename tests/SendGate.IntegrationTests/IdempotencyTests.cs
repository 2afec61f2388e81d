using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary><c>Idempotency-Key</c>: a retried submission never makes a second message.</summary>
public sealed class IdempotencyTests : AppWithSmtpTest
{
    [Fact]
    public async Task Same_key_and_same_body_replays_the_first_answer_and_sends_once()
    {
        var first = await PostAsync(Client, "order-4711", Mail());
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        var firstBody = await first.JsonAsync();

        var second = await PostAsync(Client, "order-4711", Mail());

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(["true"], second.Headers.GetValues("Idempotent-Replayed"));
        var secondBody = await second.JsonAsync();
        Assert.Equal(firstBody.Str("id"), secondBody.Str("id"));
        Assert.Equal(firstBody.Str("status"), secondBody.Str("status"));
        Assert.Equal(first.Headers.Location, second.Headers.Location);

        Assert.Single((await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray());
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        var third = await PostAsync(Client, "order-4711", Mail());
        Assert.Equal(firstBody.Str("id"), (await third.JsonAsync()).Str("id"));
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        Assert.Single(Smtp.Received);
    }

    [Fact]
    public async Task Replay_works_for_raw_mime_too()
    {
        var raw = "From: a@example.com\r\nTo: b@example.com\r\nSubject: once\r\n\r\nbody\r\n"u8.ToArray();

        var first = await PostMimeAsync("mime-1", raw);
        var second = await PostMimeAsync("mime-1", raw);

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal((await first.JsonAsync()).Str("id"), (await second.JsonAsync()).Str("id"));
    }

    [Fact]
    public async Task Same_key_with_another_body_is_unprocessable()
    {
        var first = await (await PostAsync(Client, "order-1", Mail(("subject", "first")))).JsonAsync();

        var response = await PostAsync(Client, "order-1", Mail(("subject", "second")));

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.Equal(first.Str("id"), problem.Str("messageId"));
        Assert.Contains("order-1", problem.Str("detail"));
        var items = (await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items");
        Assert.Equal("first", Assert.Single(items.EnumerateArray()).Str("subject"));
    }

    [Fact]
    public async Task Same_key_with_another_media_type_or_sendAt_is_unprocessable()
    {
        var raw = "From: a@example.com\r\nTo: b@example.com\r\n\r\nbody\r\n"u8.ToArray();
        await PostMimeAsync("mime-2", raw);

        var later = await PostMimeAsync("mime-2", raw, $"?sendAt={Uri.EscapeDataString(SendGateApp.Start.AddHours(1).ToString("O"))}");

        await later.ProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
    }

    [Fact]
    public async Task A_key_belongs_to_one_tenant()
    {
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());
        var mine = await (await PostAsync(Client, "shared-key", Mail())).JsonAsync();

        var response = await PostAsync(other, "shared-key", Mail(("subject", "a different message")));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.False(response.Headers.Contains("Idempotent-Replayed"));
        var theirs = await response.JsonAsync();
        Assert.NotEqual(mine.Str("id"), theirs.Str("id"));

        var replay = await PostAsync(other, "shared-key", Mail(("subject", "a different message")));
        Assert.Equal(theirs.Str("id"), (await replay.JsonAsync()).Str("id"));
    }

    [Fact]
    public async Task After_the_retention_the_key_makes_a_new_message()
    {
        var first = await (await PostAsync(Client, "daily-report", Mail())).JsonAsync();
        App.Time.Advance(TimeSpan.FromHours(23));
        Assert.Equal(first.Str("id"), (await (await PostAsync(Client, "daily-report", Mail())).JsonAsync()).Str("id"));

        App.Time.Advance(TimeSpan.FromHours(2));
        var response = await PostAsync(Client, "daily-report", Mail());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.False(response.Headers.Contains("Idempotent-Replayed"));
        var second = await response.JsonAsync();
        Assert.NotEqual(first.Str("id"), second.Str("id"));
        Assert.Equal(2, (await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").GetArrayLength());

        // The renewed key now replays the new message.
        var replay = await PostAsync(Client, "daily-report", Mail());
        Assert.Equal(second.Str("id"), (await replay.JsonAsync()).Str("id"));
    }

    [Theory]
    [InlineData(300)]
    [InlineData(201)]
    public async Task Overlong_key_is_refused(int length)
    {
        var response = await PostAsync(Client, new string('k', length), Mail());

        await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "Idempotency-Key");
        Assert.Empty((await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Key_of_200_visible_characters_is_accepted()
    {
        var response = await PostAsync(Client, new string('k', 200), Mail());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("tab\tinside")]
    [InlineData("a\u007f")]
    public async Task Key_with_white_space_or_control_characters_is_refused(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(Mail()) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        var response = await Client.SendAsync(request);

        await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "Idempotency-Key");
    }

    [Fact]
    public async Task Non_ascii_key_is_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(Mail()) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("注文-1")));

        var response = await Client.SendAsync(request);

        await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "Idempotency-Key");
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_make_exactly_one_message()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostAsync(Client, "burst-1", Mail())));

        // Each is the new message, its replay, or told that the first is still in flight.
        var accepted = responses.Where(r => r.StatusCode == HttpStatusCode.Accepted).ToList();
        Assert.Single(accepted, r => !r.Headers.Contains("Idempotent-Replayed"));
        Assert.Single((await Task.WhenAll(accepted.Select(async r => (await r.JsonAsync()).Str("id")))).Distinct());
        foreach (var other in responses.Where(r => r.StatusCode != HttpStatusCode.Accepted))
        {
            await other.ProblemAsync(HttpStatusCode.Conflict, "idempotency-key-in-flight");
        }

        Assert.Single((await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray());
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Single(Smtp.Received);
    }

    [Fact]
    public async Task A_retry_while_the_first_request_is_still_being_read_is_told_to_wait_and_then_replayed()
    {
        // The first request's body stops half-way until the test lets it go on: it is in flight, deterministically.
        // Its first half is larger than the test server's request pipe holds (64 KiB), so writing it returns only once
        // the host is reading the body, which it does after claiming the key.
        var mail = Mail(("text", new string('a', 600_000)));
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(mail, System.Text.Json.JsonSerializerOptions.Web);
        var slow = new HeldBackContent(body, body.Length / 2);
        // Without redirects: the redirect handler would buffer the whole body (to send it again) before sending any.
        using var streaming = App.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        streaming.DefaultRequestHeaders.Authorization = Client.DefaultRequestHeaders.Authorization;
        using var first = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = slow };
        first.Headers.TryAddWithoutValidation("Idempotency-Key", "held-1");
        var answer = streaming.SendAsync(first);
        await slow.HalfSent.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var retry = await PostAsync(Client, "held-1", mail);

        var problem = await retry.ProblemAsync(HttpStatusCode.Conflict, "idempotency-key-in-flight");
        Assert.Contains("held-1", problem.Str("detail"));
        Assert.Equal(TimeSpan.FromSeconds(1), retry.Headers.RetryAfter?.Delta);
        slow.Release.SetResult();
        var accepted = await answer;
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var replayed = await PostAsync(Client, "held-1", mail);
        Assert.Equal(HttpStatusCode.Accepted, replayed.StatusCode);
        Assert.True(replayed.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal((await accepted.JsonAsync()).Str("id"), (await replayed.JsonAsync()).Str("id"));
        Assert.Single((await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray());
    }

    /// <summary>A JSON body that sends its first part, then waits for <see cref="Release"/> before the rest.</summary>
    private sealed class HeldBackContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly int _split;

        public HeldBackContent(byte[] body, int split)
        {
            (_body, _split) = (body, split);
            Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        public TaskCompletionSource HalfSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(_body.AsMemory(0, _split));
            await stream.FlushAsync();
            HalfSent.SetResult();
            await Release.Task;
            await stream.WriteAsync(_body.AsMemory(_split));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_but_different_bodies_make_one_message()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => PostAsync(Client, "burst-2", Mail(("subject", $"variant {i}")))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Accepted),
            r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Conflict, HttpStatusCode.UnprocessableEntity }));
        Assert.Single((await (await Client.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray());
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string key, Dictionary<string, object?> body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    private Task<HttpResponseMessage> PostMimeAsync(string key, byte[] raw, string query = "")
    {
        var content = new ByteArrayContent(raw);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages" + query) { Content = content };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return Client.SendAsync(request);
    }
}
