using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

public sealed class LifecycleTests : AppWithSmtpTest
{

    [Fact]
    public async Task Message_without_hold_is_queued_and_delivered_on_the_next_run()
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.JsonAsync();
        var id = accepted.Str("id");
        Assert.Equal("queued", accepted.Str("status"));
        Assert.Equal($"/v1/messages/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(JsonValueKind.Null, accepted.GetProperty("releaseAt").ValueKind);
        var decision = accepted.GetProperty("decision");
        Assert.Equal("queued", decision.Str("status"));
        Assert.Empty(decision.GetProperty("rules").EnumerateArray());
        Assert.NotEmpty(decision.GetProperty("reasons").EnumerateArray());

        var run = await App.DeliverDueAsync();
        Assert.Equal(1, run.Sent);
        var mail = Assert.Single(Smtp.Received);
        Assert.Equal("sender@example.co.jp", mail.From);
        Assert.Equal(["to@example.com"], mail.To);

        var details = await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();
        Assert.Equal("sent", details.Str("status"));
        Assert.Equal(1, details.GetProperty("attempts").GetInt32());
        var recipient = Assert.Single(details.GetProperty("recipients").EnumerateArray());
        Assert.Equal("accepted", recipient.Str("status"));
        Assert.Equal(details.Str("messageId"), mail.Parse().MessageId);

        var events = await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync();
        Assert.Equal(
            ["message.accepted", "message.delivery_started", "message.sent"],
            events.GetProperty("items").EnumerateArray().Select(e => e.Str("type")));
        Assert.Equal([1, 2, 3], events.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("seq").GetInt32()));
    }

    [Fact]
    public async Task SendAt_holds_until_the_time_then_the_release_job_queues_it()
    {
        var sendAt = SendGateApp.Start.AddMinutes(30);
        var accepted = await (await Client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", sendAt.ToString("O"))))).JsonAsync();
        var id = accepted.Str("id");
        Assert.Equal("held", accepted.Str("status"));
        Assert.Equal(sendAt, accepted.GetProperty("releaseAt").GetDateTimeOffset());
        Assert.Equal("sendAt", accepted.GetProperty("decision").GetProperty("hold").Str("source"));

        Assert.Equal(0, await App.ReleaseDueAsync());
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);

        App.Time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await App.ReleaseDueAsync());

        App.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await App.ReleaseDueAsync());
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Single(Smtp.Received);

        var events = await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync();
        var types = events.GetProperty("items").EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Equal(["message.accepted", "message.held", "message.released", "message.delivery_started", "message.sent"], types);
        var sent = events.GetProperty("items").EnumerateArray().Last();
        Assert.Equal(sendAt, sent.GetProperty("at").GetDateTimeOffset());
    }

    [Fact]
    public async Task Held_message_can_be_released_early()
    {
        var accepted = await (await Client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", SendGateApp.Start.AddHours(2).ToString("O"))))).JsonAsync();
        var id = accepted.Str("id");

        var released = await Client.PostAsJsonAsync($"/v1/messages/{id}/release", new { reason = "checked by sender" });
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.Equal("queued", (await released.JsonAsync()).Str("status"));

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var events = await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync();
        var release = events.GetProperty("items").EnumerateArray().Single(e => e.Str("type") == "message.released");
        Assert.Equal("checked by sender", release.Str("reason"));
        Assert.StartsWith("api-key:", release.Str("actor"));

        var again = await Client.PostAsync($"/v1/messages/{id}/release", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("urn:sendgate:problem:invalid-transition", (await again.JsonAsync()).Str("type"));
    }

    [Fact]
    public async Task An_action_s_optional_body_is_read_strictly()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", SendGateApp.Start.AddHours(2).ToString("O"))))).JsonAsync()).Str("id");

        // A misspelt "reson" would drop the reason from the audit trail without a word.
        var misspelt = await (await Client.PostAsJsonAsync($"/v1/messages/{id}/cancel", new { reson = "宛先誤り" })).ProblemAsync(HttpStatusCode.BadRequest, "malformed-json");
        Assert.Contains("reson", misspelt.Str("detail"), StringComparison.Ordinal);
        await (await Client.PutAsJsonAsync($"/v1/messages/{id}/legal-hold", new { reason = 3 })).ProblemAsync(HttpStatusCode.BadRequest, "malformed-json", "reason");
        await (await Client.PostAsync($"/v1/messages/{id}/release", new StringContent("now", System.Text.Encoding.UTF8, "text/plain")))
            .ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Equal("held", (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status"));

        var cancelled = await Client.PostAsJsonAsync($"/v1/messages/{id}/cancel", new { reason = "宛先誤り" });
        Assert.Equal("cancelled", (await cancelled.JsonAsync()).Str("status"));
    }

    [Fact]
    public async Task Held_message_can_be_cancelled_and_is_never_sent()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", SendGateApp.Start.AddMinutes(5).ToString("O"))))).JsonAsync()).Str("id");

        var cancelled = await Client.PostAsync($"/v1/messages/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await cancelled.JsonAsync()).Str("status"));

        App.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await App.ReleaseDueAsync());
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        Assert.Empty(Smtp.Received);
    }

    [Fact]
    public async Task Cancelling_a_sent_message_is_a_conflict_that_names_its_status()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail())).JsonAsync()).Str("id");
        await App.DeliverDueAsync();

        var response = await Client.PostAsync($"/v1/messages/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal("urn:sendgate:problem:invalid-transition", problem.Str("type"));
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        Assert.Equal("sent", problem.Str("currentStatus"));
        Assert.Contains("sent", problem.Str("detail"));
    }

    [Fact]
    public async Task Queued_message_can_still_be_cancelled_before_a_worker_claims_it()
    {
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail())).JsonAsync()).Str("id");
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/v1/messages/{id}/cancel", null)).StatusCode);
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        Assert.Empty(Smtp.Received);
    }

    [Fact]
    public async Task Original_mime_is_returned_as_submitted()
    {
        var raw = "From: a@example.com\r\nTo: b@example.com\r\nSubject: raw\r\nMessage-ID: <raw-1@example.com>\r\n\r\nhello\r\n"u8.ToArray();
        using var content = new ByteArrayContent(raw);
        content.Headers.ContentType = new("message/rfc822");
        var id = (await (await Client.PostAsync("/v1/messages", content)).JsonAsync()).Str("id");

        var mime = await Client.GetAsync($"/v1/messages/{id}/mime");
        Assert.Equal(HttpStatusCode.OK, mime.StatusCode);
        Assert.Equal("message/rfc822", mime.Content.Headers.ContentType?.MediaType);
        Assert.Equal(raw, await mime.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task List_filters_by_status_sender_recipient_subject_and_pages_with_a_cursor()
    {
        for (var i = 0; i < 5; i++)
        {
            await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", $"見積 {i}"), ("to", new[] { $"r{i % 2}@example.com" })));
            App.Time.Advance(TimeSpan.FromSeconds(1));
        }

        await Client.PostAsJsonAsync("/v1/messages", Mail(("from", "other@example.org"), ("sendAt", App.Time.GetUtcNow().AddHours(1).ToString("O"))));

        var held = await (await Client.GetAsync("/v1/messages?status=held")).JsonAsync();
        Assert.Single(held.GetProperty("items").EnumerateArray());

        var fromOther = await (await Client.GetAsync("/v1/messages?from=other@example.org")).JsonAsync();
        Assert.Equal("held", Assert.Single(fromOther.GetProperty("items").EnumerateArray()).Str("status"));

        var toR1 = await (await Client.GetAsync("/v1/messages?to=r1@example.com")).JsonAsync();
        Assert.Equal(2, toR1.GetProperty("items").GetArrayLength());
        var toR1AnyCase = await (await Client.GetAsync("/v1/messages?to=R1@Example.COM")).JsonAsync();
        Assert.Equal(2, toR1AnyCase.GetProperty("items").GetArrayLength());
        var fromAnyCase = await (await Client.GetAsync("/v1/messages?from=Other@Example.org")).JsonAsync();
        Assert.Single(fromAnyCase.GetProperty("items").EnumerateArray());

        var subject = await (await Client.GetAsync($"/v1/messages?subject={Uri.EscapeDataString("見積 3")}")).JsonAsync();
        Assert.Equal("見積 3", Assert.Single(subject.GetProperty("items").EnumerateArray()).Str("subject"));

        var range = await (await Client.GetAsync($"/v1/messages?createdFrom={Uri.EscapeDataString(SendGateApp.Start.AddSeconds(1).ToString("O"))}&createdTo={Uri.EscapeDataString(SendGateApp.Start.AddSeconds(3).ToString("O"))}")).JsonAsync();
        Assert.Equal(2, range.GetProperty("items").GetArrayLength());

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await (await Client.GetAsync($"/v1/messages?limit=4{(cursor is null ? "" : $"&cursor={cursor}")}")).JsonAsync();
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(m => m.Str("id")));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(6, seen.Distinct().Count());
        Assert.Equal(seen.OrderByDescending(x => x, StringComparer.Ordinal), seen);
    }
}
