using System.Net.Http.Json;
using SendGate.Core.Messages;
using SendGate.Core.Messages.Lifecycle;
using SendGate.IntegrationTests.Infrastructure;
using SmtpServer.Protocol;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

public sealed class DeliveryTests : AppWithSmtpTest
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["SendGate:Delivery:MaxAttempts"] = "4",
        ["SendGate:Delivery:RetryBaseDelay"] = "00:01:00",
        ["SendGate:Delivery:RetryMaxDelay"] = "00:10:00",
    };

    private async Task<string> SubmitAsync(params (string, object?)[] fields) =>
        (await (await Client.PostAsJsonAsync("/v1/messages", Mail(fields))).JsonAsync()).Str("id");

    private Task<MessageRow?> RowAsync(string id) => App.Service<MessageStore>().GetByIdAsync(id);

    [Fact]
    public async Task Relay_4xx_then_accept_ends_sent_after_two_attempts()
    {
        var refusals = 1;
        Smtp.DataRule = _ => Interlocked.Decrement(ref refusals) >= 0 ? new SmtpResponse((SmtpReplyCode)451, "4.3.0 try again later") : null;
        var id = await SubmitAsync();

        var first = await App.DeliverDueAsync();
        Assert.Equal(1, first.Deferred);
        var deferred = (await RowAsync(id))!;
        Assert.Equal(MessageStatus.Queued, deferred.Status);
        Assert.Contains("451", deferred.LastError);
        var wait = TimeSpan.FromMilliseconds(deferred.DueAt!.Value - App.Time.GetUtcNow().ToUnixTimeMilliseconds());
        Assert.InRange(wait, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));

        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        App.Time.Advance(wait);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        var sent = (await RowAsync(id))!;
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal(2, sent.Attempts);
        Assert.Single(Smtp.Received);
        Assert.Equal(2, Smtp.DataAttempts);
    }

    [Fact]
    public async Task Relay_5xx_fails_at_once_with_the_reply()
    {
        Smtp.DataRule = _ => new SmtpResponse((SmtpReplyCode)554, "5.7.1 message refused by policy");
        var id = await SubmitAsync();

        Assert.Equal(1, (await App.DeliverDueAsync()).Failed);
        var details = await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();
        Assert.Equal("failed", details.Str("status"));
        Assert.Contains("554", details.Str("lastError"));
        Assert.Contains("refused by policy", details.Str("lastError"));
        Assert.Equal(1, details.GetProperty("attempts").GetInt32());
        Assert.Equal("rejected", details.GetProperty("recipients")[0].Str("status"));

        App.Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        var events = await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync();
        Assert.Equal("message.failed", events.GetProperty("items").EnumerateArray().Last().Str("type"));
    }

    [Fact]
    public async Task Relay_down_is_retried_and_the_message_delivered_when_it_returns()
    {
        await Smtp.StopListeningAsync();
        var id = await SubmitAsync();

        Assert.Equal(1, (await App.DeliverDueAsync()).Deferred);
        App.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await App.DeliverDueAsync()).Deferred);
        var row = (await RowAsync(id))!;
        Assert.Equal(MessageStatus.Queued, row.Status);
        Assert.Contains("cannot reach relay", row.LastError);

        await Smtp.StartListeningAsync();
        App.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal(3, (await RowAsync(id))!.Attempts);
        Assert.Single(Smtp.Received);
    }

    [Fact]
    public async Task Retries_stop_at_the_limit_and_the_message_fails()
    {
        Smtp.DataRule = _ => new SmtpResponse((SmtpReplyCode)421, "4.4.2 busy");
        var id = await SubmitAsync();

        for (var i = 0; i < 4; i++)
        {
            await App.DeliverDueAsync();
            App.Time.Advance(TimeSpan.FromMinutes(10));
        }

        var row = (await RowAsync(id))!;
        Assert.Equal(MessageStatus.Failed, row.Status);
        Assert.Equal(4, row.Attempts);
        Assert.Contains("gave up after 4 attempts", row.LastError);
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
    }

    [Fact]
    public async Task Recipients_are_recorded_one_by_one_and_only_deferred_ones_are_retried()
    {
        var deferOnce = 1;
        Smtp.RecipientRule = rcpt => rcpt switch
        {
            "gone@example.com" => new SmtpResponse((SmtpReplyCode)550, "5.1.1 no such user"),
            "busy@example.com" when Interlocked.Decrement(ref deferOnce) >= 0 => new SmtpResponse((SmtpReplyCode)450, "4.2.1 mailbox busy"),
            _ => null,
        };
        var id = await SubmitAsync(("to", new[] { "ok@example.com", "gone@example.com" }), ("cc", new[] { "busy@example.com" }));

        Assert.Equal(1, (await App.DeliverDueAsync()).Deferred);
        var first = Assert.Single(Smtp.Received);
        Assert.Equal(["ok@example.com"], first.To);

        var details = await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();
        var statuses = details.GetProperty("recipients").EnumerateArray().ToDictionary(r => r.Str("address"), r => r.Str("status"));
        Assert.Equal("accepted", statuses["ok@example.com"]);
        Assert.Equal("rejected", statuses["gone@example.com"]);
        Assert.Equal("pending", statuses["busy@example.com"]);

        App.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal(2, Smtp.Received.Count);
        Assert.Equal(["busy@example.com"], Smtp.Received.Last().To);
        var done = await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();
        Assert.Equal("sent", done.Str("status"));
        Assert.Contains("550", done.GetProperty("recipients").EnumerateArray().Single(r => r.Str("address") == "gone@example.com").Str("reply"));
    }

    [Fact]
    public async Task A_worker_that_dies_holding_a_lease_is_taken_over_after_expiry_and_the_message_sent_once()
    {
        var id = await SubmitAsync();
        var store = App.Service<MessageStore>();
        var now = App.Time.GetUtcNow();
        // A worker claims the message and dies before sending.
        var claimed = await App.Service<MessageLifecycle>().ClaimDueAsync("dead-worker", now.ToUnixTimeMilliseconds(), now.AddMinutes(5).ToUnixTimeMilliseconds(), 10);
        Assert.Equal(id, Assert.Single(claimed).Id);

        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        App.Time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        Assert.Empty(Smtp.Received);

        App.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Single(Smtp.Received);
        Assert.Equal(MessageStatus.Sent, (await RowAsync(id))!.Status);
        var events = await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync();
        var takeover = events.GetProperty("items").EnumerateArray().Where(e => e.Str("type") == "message.delivery_started").Last();
        Assert.Equal("sending", takeover.Str("fromStatus"));
        Assert.Contains("lease of dead-worker expired", takeover.Str("reason"));

        // The dead worker coming back cannot record anything over the new owner's outcome.
        Assert.False(await App.Service<SendGate.Core.Delivery.DeliveryRecorder>().RecordAsync(new DeliveryOutcome(id, "dead-worker", MessageStatus.Sent, null, null, [],
            new NewEvent(MessageEventType.Sent, MessageStatus.Sending, MessageStatus.Sent, "worker:dead-worker", null), now.ToUnixTimeMilliseconds())));
        App.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        Assert.Single(Smtp.Received);
    }

    [Fact]
    public async Task Claims_handed_back_by_a_stopping_worker_are_due_at_once_without_using_an_attempt()
    {
        var id = await SubmitAsync();
        var lifecycle = App.Service<MessageLifecycle>();
        var now = App.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Single(await lifecycle.ClaimDueAsync("stopping-worker", now, now + 300_000, 10));

        Assert.Equal(0, await lifecycle.ReturnUnstartedAsync([id], "another-worker", now));
        Assert.Equal(1, await lifecycle.ReturnUnstartedAsync([id], "stopping-worker", now));

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal(1, (await RowAsync(id))!.Attempts);
        var events = await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync();
        Assert.Contains(events.GetProperty("items").EnumerateArray(), e => e.Str("reason") == "worker stopping before the attempt began");
    }
}
