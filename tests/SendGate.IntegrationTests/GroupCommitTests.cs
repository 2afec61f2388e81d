using SendGate.Core.Messages;
using SendGate.Core.Mime;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task Concurrent_submissions_are_all_committed_and_one_failing_does_not_take_the_others_down()
    {
        await using var app = new SendGateApp();
        _ = app.Services;
        var intake = app.Service<MessageIntake>();
        var submissions = app.Service<SubmissionService>();
        var tenantId = (await app.Service<SendGate.Core.Tenants.TenantStore>().FindActiveKeyAsync(SendGateApp.AdminKey))!.TenantId;
        var actor = new Actor(tenantId, "test");

        PreparedMessage Prepare(string id, int n) => intake.FromJson(new MessageRequest
        {
            From = "a@example.com", To = [$"r{n}@example.com"], Subject = $"n{n}", Text = "x",
        }, id).Message!;

        var ids = Enumerable.Range(0, 300).Select(_ => SubmissionService.NewMessageId()).ToList();
        // The same id twice: the second must fail alone, whatever batch it lands in.
        var duplicate = ids[150];
        var tasks = ids.Select((id, n) => submissions.SubmitAsync(actor, id, Prepare(id, n), null, null))
            .Append(submissions.SubmitAsync(actor, duplicate, Prepare(duplicate, 999), null, null))
            .ToList();
        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        Assert.Equal(1, tasks.Count(t => t.IsFaulted));
        Assert.Equal(300, tasks.Count(t => t.IsCompletedSuccessfully));
        var store = app.Service<MessageStore>();
        for (var n = 0; n < ids.Count; n += 37)
        {
            var row = await store.GetByIdAsync(ids[n]);
            Assert.Equal($"n{n}", row!.Subject);
            Assert.Equal($"r{n}@example.com", Assert.Single(await store.GetRecipientsAsync(ids[n])).Address);
        }

        var all = await app.Service<SendGate.Core.Archive.MessageSearch>().ListAsync(tenantId, new MessageFilter { Limit = 1000 });
        Assert.Equal(300, all.Count);
    }
}
