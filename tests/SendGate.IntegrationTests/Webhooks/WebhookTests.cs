using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Webhooks;

/// <summary>Events delivered to a real HTTP receiver on 127.0.0.1, signed per Standard Webhooks, retried, never lost.</summary>
public sealed class WebhookTests : AppWithWebhookReceiverTest
{
    protected override IDictionary<string, string?> MoreSettings => new Dictionary<string, string?>
    {
        ["SendGate:Webhooks:Timeout"] = "00:00:01",
        ["SendGate:Webhooks:MaxAttempts"] = "3",
        ["SendGate:Webhooks:DisableAfterFailures"] = "2",
    };

    private async Task<(string Id, string Secret)> SubscribeAsync(object? eventTypes = null)
    {
        var response = await Client.PostAsJsonAsync("/v1/webhooks", new { url = Receiver.Url, eventTypes, description = "受信テスト" });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await response.JsonAsync();
        return (body.GetProperty("webhook").Str("id"), body.Str("secret"));
    }

    internal static bool Verifies(ReceivedWebhook hook, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{hook.Id}.{hook.Timestamp}.{hook.Body}")));
        return hook.Signature.Split(' ').Contains(expected);
    }

    [Fact]
    public async Task AReceiver_gets_a_whole_message_life_in_order_and_signed()
    {
        var (_, secret) = await SubscribeAsync();
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("sendAt", SendGateApp.Start.AddMinutes(5).ToString("O"))))).JsonAsync()).Str("id");
        await Client.PostAsync($"/v1/messages/{id}/release", null);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal(5, await App.DeliverWebhooksAsync());

        var hooks = Receiver.Received.ToList();
        var events = hooks.Select(h => JsonDocument.Parse(h.Body).RootElement).ToList();
        Assert.Equal(["message.accepted", "message.held", "message.released", "message.delivery_started", "message.sent"], events.Select(e => e.Str("type")));
        Assert.Equal([1, 2, 3, 4, 5], events.Select(e => e.GetProperty("data").GetProperty("seq").GetInt32()));
        Assert.All(events, e => Assert.Equal(id, e.GetProperty("data").Str("messageId")));
        Assert.All(hooks, h => Assert.True(Verifies(h, secret), $"signature {h.Signature} does not verify"));
        Assert.Equal(hooks.Count, hooks.Select(h => h.Id).Distinct().Count());
        Assert.DoesNotContain("Body text", string.Concat(hooks.Select(h => h.Body)), StringComparison.Ordinal);

        // Nothing is sent twice.
        Assert.Equal(0, await App.DeliverWebhooksAsync());
        Assert.Equal(5, Receiver.Received.Count);
    }

    [Fact]
    public async Task Event_types_filter_what_an_endpoint_receives()
    {
        await SubscribeAsync(new[] { "message.sent", "message.failed" });
        await Client.PostAsJsonAsync("/v1/messages", Mail());
        await App.DeliverDueAsync();
        await App.DeliverWebhooksAsync();
        Assert.Equal(["message.sent"], Receiver.Received.Select(h => JsonDocument.Parse(h.Body).RootElement.Str("type")));

        await (await Client.PostAsJsonAsync("/v1/webhooks", new { url = Receiver.Url, eventTypes = new[] { "message.exploded" } }))
            .ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "eventTypes[0]");
    }

    [Fact]
    public async Task A_500_and_a_timeout_are_retried_with_backoff_and_recorded()
    {
        var (webhookId, _) = await SubscribeAsync(new[] { "message.accepted" });
        var calls = 0;
        var secondArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var neverAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Receiver.Answer = _ => Interlocked.Increment(ref calls) switch
        {
            1 => (500, null),
            2 => (200, Arrived(secondArrived, neverAnswered.Task)),
            _ => null,
        };
        await Client.PostAsJsonAsync("/v1/messages", Mail());

        Assert.Equal(0, await App.DeliverWebhooksAsync());
        var afterFirst = (await (await Client.GetAsync($"/v1/webhooks/{webhookId}/deliveries")).JsonAsync()).GetProperty("items")[0];
        Assert.Equal("pending", afterFirst.Str("status"));
        Assert.Equal(500, afterFirst.GetProperty("lastStatusCode").GetInt32());
        Assert.Equal(0, await App.DeliverWebhooksAsync());

        // The second attempt reaches the receiver, which keeps it waiting; the timeout runs on the
        // host's clock, so it expires exactly when the test moves that clock past it.
        App.Time.Advance(TimeSpan.FromMinutes(1));
        var second = App.DeliverWebhooksAsync();
        Assert.Same(secondArrived.Task, await Task.WhenAny(secondArrived.Task, second));
        App.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await second);
        neverAnswered.SetResult();
        App.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await App.DeliverWebhooksAsync());

        var delivery = (await (await Client.GetAsync($"/v1/webhooks/{webhookId}/deliveries")).JsonAsync()).GetProperty("items")[0];
        Assert.Equal("succeeded", delivery.Str("status"));
        var attempts = delivery.GetProperty("attemptLog").EnumerateArray().ToList();
        Assert.Equal(3, attempts.Count);
        Assert.Equal(500, attempts[0].GetProperty("statusCode").GetInt32());
        Assert.Contains("no answer", attempts[1].Str("error"), StringComparison.Ordinal);
        Assert.Equal(200, attempts[2].GetProperty("statusCode").GetInt32());
        // Every attempt carries the same webhook-id, so a receiver can drop a retry it already handled.
        Assert.Single(Receiver.Received.Select(h => h.Id).Distinct());
    }

    private static Task Arrived(TaskCompletionSource arrived, Task until)
    {
        arrived.SetResult();
        return until;
    }

    [Fact]
    public async Task Failed_deliveries_can_be_sent_again_and_repeated_failure_disables_the_endpoint()
    {
        var (webhookId, _) = await SubscribeAsync(new[] { "message.accepted" });
        Receiver.Answer = _ => (503, null);
        await Client.PostAsJsonAsync("/v1/messages", Mail());
        for (var i = 0; i < 3; i++)
        {
            await App.DeliverWebhooksAsync();
            App.Time.Advance(TimeSpan.FromHours(1));
        }

        var failed = (await (await Client.GetAsync($"/v1/webhooks/{webhookId}/deliveries")).JsonAsync()).GetProperty("items")[0];
        Assert.Equal("failed", failed.Str("status"));
        Assert.Equal(3, failed.GetProperty("attempts").GetInt32());

        Receiver.Answer = _ => null;
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsync($"/v1/webhooks/{webhookId}/deliveries/{failed.Str("id")}/retry", null)).StatusCode);
        Assert.Equal(1, await App.DeliverWebhooksAsync());
        await (await Client.PostAsync($"/v1/webhooks/{webhookId}/deliveries/{failed.Str("id")}/retry", null)).ProblemAsync(HttpStatusCode.Conflict, "invalid-transition");

        // Two deliveries in a row failing for good switch the endpoint off.
        Receiver.Answer = _ => (500, null);
        await Client.PostAsJsonAsync("/v1/messages", Mail());
        await Client.PostAsJsonAsync("/v1/messages", Mail());
        for (var i = 0; i < 3; i++)
        {
            await App.DeliverWebhooksAsync();
            App.Time.Advance(TimeSpan.FromHours(1));
        }

        var endpoint = await (await Client.GetAsync($"/v1/webhooks/{webhookId}")).JsonAsync();
        Assert.False(endpoint.GetProperty("enabled").GetBoolean());
        Assert.Contains("in a row failed", endpoint.Str("disabledReason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_disabled_endpoint_s_deliveries_wait_for_it_without_spending_attempts()
    {
        var (webhookId, _) = await SubscribeAsync(new[] { "message.accepted" });
        Receiver.Answer = _ => (503, null);
        await Client.PostAsJsonAsync("/v1/messages", Mail());
        Assert.Equal(0, await App.DeliverWebhooksAsync());
        (await Client.PatchAsJsonAsync($"/v1/webhooks/{webhookId}", new { enabled = false })).EnsureSuccessStatusCode();

        // Two days switched off: far past the last retry, yet nothing is attempted or failed.
        for (var i = 0; i < 48; i++)
        {
            App.Time.Advance(TimeSpan.FromHours(1));
            Assert.Equal(0, await App.DeliverWebhooksAsync());
        }

        var waiting = (await (await Client.GetAsync($"/v1/webhooks/{webhookId}/deliveries")).JsonAsync()).GetProperty("items")[0];
        Assert.Equal(("pending", 1), (waiting.Str("status"), waiting.GetProperty("attempts").GetInt32()));

        Receiver.Answer = _ => null;
        (await Client.PatchAsJsonAsync($"/v1/webhooks/{webhookId}", new { enabled = true })).EnsureSuccessStatusCode();
        Assert.Equal(1, await App.DeliverWebhooksAsync());
        var delivered = (await (await Client.GetAsync($"/v1/webhooks/{webhookId}/deliveries")).JsonAsync()).GetProperty("items")[0];
        Assert.Equal(("succeeded", 2), (delivered.Str("status"), delivered.GetProperty("attempts").GetInt32()));
    }

    [Fact]
    public async Task Events_while_an_endpoint_is_off_are_not_delivered_to_it_once_it_is_back_on()
    {
        var (alwaysOn, _) = await SubscribeAsync(new[] { "message.accepted" });
        var (switched, _) = await SubscribeAsync(new[] { "message.accepted" });
        (await Client.PatchAsJsonAsync($"/v1/webhooks/{switched}", new { enabled = false })).EnsureSuccessStatusCode();
        var whileOff = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "停止中")))).JsonAsync()).Str("id");
        Assert.Equal(1, await App.DeliverWebhooksAsync());

        App.Time.Advance(TimeSpan.FromMinutes(5));
        (await Client.PatchAsJsonAsync($"/v1/webhooks/{switched}", new { enabled = true })).EnsureSuccessStatusCode();
        var afterwards = (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "再開後")))).JsonAsync()).Str("id");
        Assert.Equal(2, await App.DeliverWebhooksAsync());

        async Task<List<string>> MessagesAsync(string webhookId) =>
            (await (await Client.GetAsync($"/v1/webhooks/{webhookId}/deliveries")).JsonAsync()).GetProperty("items").EnumerateArray()
                .Select(d => d.Str("messageId")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { whileOff, afterwards }.Order(StringComparer.Ordinal), await MessagesAsync(alwaysOn));
        Assert.Equal([afterwards], await MessagesAsync(switched));
    }

    [Fact]
    public async Task Patch_keeps_what_it_leaves_out_and_an_empty_description_clears_it()
    {
        var (webhookId, _) = await SubscribeAsync(new[] { "message.sent" });
        async Task<JsonElement> PatchAsync(object body)
        {
            var response = await Client.PatchAsJsonAsync($"/v1/webhooks/{webhookId}", body);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            return await response.JsonAsync();
        }

        var renamed = await PatchAsync(new { description = "  請求書システム  " });
        Assert.Equal("請求書システム", renamed.Str("description"));
        Assert.Equal(["message.sent"], renamed.GetProperty("eventTypes").EnumerateArray().Select(e => e.GetString()));

        var unchanged = await PatchAsync(new { description = (string?)null, enabled = true });
        Assert.Equal("請求書システム", unchanged.Str("description"));

        var cleared = await PatchAsync(new { description = "" });
        Assert.True(!cleared.TryGetProperty("description", out var description) || description.ValueKind == JsonValueKind.Null);
        Assert.Equal(Receiver.Url, cleared.Str("url"));
    }

    [Fact]
    public async Task Finished_deliveries_are_forgotten_after_the_retention_and_pending_ones_kept()
    {
        var (webhookId, _) = await SubscribeAsync(new[] { "message.accepted" });
        var calls = 0;
        Receiver.Answer = _ => Interlocked.Increment(ref calls) == 1 ? null : (503, null);
        await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "届いた")));
        Assert.Equal(1, await App.DeliverWebhooksAsync());
        await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "届かない")));
        Assert.Equal(0, await App.DeliverWebhooksAsync());
        async Task<List<string>> StatusesAsync() =>
            (await (await Client.GetAsync($"/v1/webhooks/{webhookId}/deliveries")).JsonAsync()).GetProperty("items").EnumerateArray().Select(d => d.Str("status")).Order().ToList();
        Assert.Equal(["pending", "succeeded"], await StatusesAsync());
        var webhooks = App.Service<SendGate.Core.Webhooks.WebhookService>();

        // SendGate:Webhooks:DeliveryRetention is 30 days.
        App.Time.Advance(TimeSpan.FromDays(29));
        Assert.Equal(0, await webhooks.PurgeFinishedAsync());
        App.Time.Advance(TimeSpan.FromDays(2));
        await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "新しい")));
        Assert.Equal(0, await App.DeliverWebhooksAsync());

        Assert.Equal(1, await webhooks.PurgeFinishedAsync());
        Assert.Equal(["pending", "pending"], await StatusesAsync());
        await using var connection = await App.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync();
        Assert.Equal(0L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection,
            "SELECT COUNT(*) FROM webhook_attempts WHERE delivery_id NOT IN (SELECT id FROM webhook_deliveries)"));
    }

    [Fact]
    public async Task Events_committed_before_a_crash_are_delivered_after_the_restart()
    {
        var (_, secret) = await SubscribeAsync(new[] { "message.accepted" });
        var id = (await (await Client.PostAsJsonAsync("/v1/messages", Mail())).JsonAsync()).Str("id");

        // The process that committed it never fans out (as if it died right after the commit);
        // a new process on the same database finds the event in the outbox and delivers it.
        await using var restarted = new SendGateApp(settings: Settings, folder: App.Folder, time: App.Time);
        Assert.Equal(1, await restarted.DeliverWebhooksAsync());
        var hook = Assert.Single(Receiver.Received);
        Assert.Equal(id, JsonDocument.Parse(hook.Body).RootElement.GetProperty("data").Str("messageId"));
        Assert.True(Verifies(hook, secret));
    }

    [Fact]
    public async Task Rotation_signs_with_old_and_new_secrets_during_the_overlap()
    {
        var (webhookId, oldSecret) = await SubscribeAsync(new[] { "message.accepted" });
        var rotated = await (await Client.PostAsJsonAsync($"/v1/webhooks/{webhookId}/rotate-secret", new { overlap = "PT1H" })).JsonAsync();
        var newSecret = rotated.Str("secret");
        Assert.StartsWith("whsec_", newSecret, StringComparison.Ordinal);
        Assert.Equal(2, rotated.GetProperty("webhook").GetProperty("secrets").GetArrayLength());

        await Client.PostAsJsonAsync("/v1/messages", Mail());
        await App.DeliverWebhooksAsync();
        var during = Receiver.Received.Last();
        Assert.True(Verifies(during, oldSecret));
        Assert.True(Verifies(during, newSecret));

        App.Time.Advance(TimeSpan.FromHours(1));
        await Client.PostAsJsonAsync("/v1/messages", Mail());
        await App.DeliverWebhooksAsync();
        var after = Receiver.Received.Last();
        Assert.False(Verifies(after, oldSecret));
        Assert.True(Verifies(after, newSecret));

        var listed = await Client.GetStringAsync("/v1/webhooks");
        Assert.DoesNotContain(newSecret, listed, StringComparison.Ordinal);
    }
}
