using System.Net.Http.Json;
using SendGate.Core.Messages;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary>
/// One message whose relay session stalls must not hold up the batch: past its time budget it is
/// given up for this attempt and retried later, and the messages after it are delivered.
/// </summary>
public sealed class DeliveryTimeBudgetTests : AppWithSmtpTest
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(1);

    // Bounded real-time waits for the relay and the lanes (network I/O cannot run on the fake clock);
    // without a budget the stalled session would hold its lane for the whole SMTP timeout.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // One lane, so the stalled message holds it; an SMTP timeout far beyond the test's patience,
        // as a relay that answers just often enough never to trip it.
        ["SendGate:Delivery:Parallelism"] = "1",
        ["SendGate:Delivery:MessageTimeBudget"] = Budget.ToString(),
        ["SendGate:Delivery:LeaseDuration"] = "00:20:00",
        ["SendGate:Smtp:Timeout"] = "00:10:00",
        ["SendGate:Delivery:RetryBaseDelay"] = "00:00:30",
    };

    [Fact]
    public async Task A_message_stalled_at_the_relay_is_deferred_after_its_budget_and_the_rest_of_the_batch_is_delivered()
    {
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Smtp.RecipientStall = address =>
        {
            if (address != "slow@example.com" || release.Task.IsCompleted)
            {
                return null;
            }

            stalled.TrySetResult();
            return release.Task;
        };
        try
        {
            var first = await SubmitAsync("first@example.com");
            App.Time.Advance(TimeSpan.FromMilliseconds(1));
            var slow = await SubmitAsync("slow@example.com");
            App.Time.Advance(TimeSpan.FromMilliseconds(1));
            var last = await SubmitAsync("last@example.com");

            var run = App.DeliverDueAsync();
            await stalled.Task.WaitAsync(Patience);
            App.Time.Advance(Budget);
            var result = await run.WaitAsync(Patience);

            Assert.Equal(3, result.Claimed);
            Assert.Equal(2, result.Sent);
            Assert.Equal(1, result.Deferred);
            Assert.Equal(MessageStatus.Sent, (await RowAsync(first)).Status);
            Assert.Equal(MessageStatus.Sent, (await RowAsync(last)).Status);
            Assert.Equal(["first@example.com", "last@example.com"], Smtp.Received.SelectMany(m => m.To).Order(StringComparer.Ordinal));

            var deferred = await RowAsync(slow);
            Assert.Equal(MessageStatus.Queued, deferred.Status);
            Assert.Contains("time budget", deferred.LastError);
            var wait = TimeSpan.FromMilliseconds(deferred.DueAt!.Value - App.Time.GetUtcNow().ToUnixTimeMilliseconds());
            Assert.InRange(wait, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));
            var events = await (await Client.GetAsync($"/v1/messages/{slow}/events")).JsonAsync();
            Assert.Equal("message.delivery_deferred", events.GetProperty("items").EnumerateArray().Last().Str("type"));

            // The relay recovers: the next attempt delivers it, once.
            release.SetResult();
            App.Time.Advance(wait);
            Assert.Equal(1, (await App.DeliverDueAsync().WaitAsync(Patience)).Sent);
            Assert.Equal(MessageStatus.Sent, (await RowAsync(slow)).Status);
            Assert.Single(Smtp.Received, m => m.To.Contains("slow@example.com"));
        }
        finally
        {
            release.TrySetResult();
        }
    }

    private async Task<string> SubmitAsync(string to) =>
        (await (await Client.PostAsJsonAsync("/v1/messages", Mail(("to", new[] { to })))).JsonAsync()).Str("id");

    private async Task<MessageRow> RowAsync(string id) => (await App.Service<MessageStore>().GetByIdAsync(id))!;
}
