using System.Net;
using System.Net.Http.Json;
using SendGate.Core.Messages;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

public sealed class ConcurrentWorkersTests
{
    [Fact]
    public async Task Two_workers_over_one_database_deliver_each_of_500_messages_exactly_once()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["SendGate:Delivery:BatchSize"] = "25",
            ["SendGate:Delivery:Parallelism"] = "4",
        };
        await using var first = new SendGateApp(smtp, settings);
        await using var second = new SendGateApp(smtp, settings, folder: first.Folder, time: first.Time);
        using var client = first.Admin();

        var ids = new List<string>();
        for (var i = 0; i < 500; i += 50)
        {
            var batch = await Task.WhenAll(Enumerable.Range(i, 50).Select(async n =>
            {
                var response = await client.PostAsJsonAsync("/v1/messages", Mail(("subject", $"bulk {n}")));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                return (await response.JsonAsync()).Str("id");
            }));
            ids.AddRange(batch);
        }

        // Build the second host (it migrates and finds the tenant) before both deliver at once.
        _ = second.Services;

        var runs = await Task.WhenAll(first.DeliverDueAsync(), second.DeliverDueAsync());

        Assert.Equal(500, runs.Sum(r => r.Sent));
        Assert.All(runs, r => Assert.True(r.Sent > 0, "both workers should have taken a share"));
        Assert.Equal(500, smtp.Received.Count);
        var perMessage = smtp.Received.GroupBy(m => m.Parse().MessageId).ToList();
        Assert.Equal(500, perMessage.Count);
        Assert.All(perMessage, g => Assert.Single(g));

        var store = first.Service<MessageStore>();
        foreach (var id in ids)
        {
            var row = await store.GetByIdAsync(id);
            Assert.Equal(MessageStatus.Sent, row!.Status);
            Assert.Equal(1, row.Attempts);
        }
    }
}
