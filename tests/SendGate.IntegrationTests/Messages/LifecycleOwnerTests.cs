using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Messages;
using SendGate.Core.Messages.Lifecycle;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Messages;

/// <summary>
/// Every path that moves a message asks the lifecycle's table: handed a table without the one move
/// a path makes, the path refuses, through its real entry point, and the message stays where it was.
/// </summary>
public sealed class LifecycleOwnerTests
{
    private const string Boss = "boss@example.co.jp";

    // The path, the move it makes, and where the message is once the whole entry point has run
    // with the full table (a delivery run goes on from the claim to the relay's answer).
    private static readonly (string Path, string From, string To, string After)[] All =
    [
        ("cancel by a sender or an app", MessageStatus.Queued, MessageStatus.Cancelled, MessageStatus.Cancelled),
        ("release early", MessageStatus.Held, MessageStatus.Queued, MessageStatus.Queued),
        ("release when the hold ends", MessageStatus.Held, MessageStatus.Queued, MessageStatus.Queued),
        ("discard an unreleased self-audit hold", MessageStatus.Held, MessageStatus.Cancelled, MessageStatus.Cancelled),
        ("claim for delivery", MessageStatus.Queued, MessageStatus.Sending, MessageStatus.Sent),
        ("take over an expired lease", MessageStatus.Sending, MessageStatus.Sending, MessageStatus.Sent),
        ("return unstarted claims", MessageStatus.Sending, MessageStatus.Queued, MessageStatus.Queued),
        ("finish a delivery", MessageStatus.Sending, MessageStatus.Sent, MessageStatus.Sent),
        ("leave approval when approved", MessageStatus.AwaitingApproval, MessageStatus.Queued, MessageStatus.Queued),
    ];

    public static TheoryData<string, string, string> Paths
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var (path, from, to, _) in All)
            {
                data.Add(path, from, to);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_path_refuses_the_move_the_lifecycle_table_does_not_allow(string path, string from, string to)
    {
        var logs = new CollectingLoggerProvider();
        await using var app = new SendGateApp(logs: logs, services: s => s.AddSingleton(Without(from, to)));
        using var client = app.Admin();

        var (id, act) = await ArrangeAsync(app, client, path);
        Assert.Equal(from, await StatusAsync(client, id));

        var violation = $"The lifecycle does not allow {from} → {to}.";
        var refused = await RefusalAsync(act);
        Assert.True(refused == violation || logs.Lines.Any(l => l.Contains(violation, StringComparison.Ordinal)),
            $"{path}: expected \"{violation}\", got {refused ?? "no refusal"}");
        Assert.Equal(from, await StatusAsync(client, id));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task With_the_full_table_the_same_path_moves_its_message(string path, string from, string to)
    {
        await using var app = new SendGateApp();
        using var client = app.Admin();
        var (id, act) = await ArrangeAsync(app, client, path);
        Assert.Equal(from, await StatusAsync(client, id));

        await act();

        var after = All.Single(p => p.Path == path).After;
        Assert.True(after == await StatusAsync(client, id), $"{path} ({from} → {to}) should have left {id} {after}");
    }

    private static LifecycleRules Without(string from, string to) => new(MessageStatus.Transitions.ToDictionary(
        t => t.Key,
        t => (IReadOnlySet<string>)t.Value.Where(next => !(t.Key == from && next == to)).ToHashSet()));

    /// <summary>Brings a new message to where <paramref name="path"/> starts, using only other moves; returns the move itself.</summary>
    private static async Task<(string Id, Func<Task> Act)> ArrangeAsync(SendGateApp app, HttpClient client, string path)
    {
        var lifecycle = app.Service<MessageLifecycle>();
        long Now() => app.Time.GetUtcNow().ToUnixTimeMilliseconds();
        switch (path)
        {
            case "cancel by a sender or an app":
            {
                var id = await SubmitAsync(client);
                return (id, async () => Ok(await client.PostAsync($"/v1/messages/{id}/cancel", null)));
            }

            case "release early":
            {
                var id = await SubmitAsync(client, ("sendAt", app.Time.GetUtcNow().AddHours(1).ToString("O")));
                return (id, async () => Ok(await client.PostAsync($"/v1/messages/{id}/release", null)));
            }

            case "release when the hold ends":
            {
                var id = await SubmitAsync(client, ("sendAt", app.Time.GetUtcNow().AddMinutes(5).ToString("O")));
                app.Time.Advance(TimeSpan.FromMinutes(5));
                return (id, () => app.ReleaseDueAsync());
            }

            case "discard an unreleased self-audit hold":
            {
                await client.SetPolicyAsync(Rule("self", [new { type = "hold", duration = "PT10M", mode = "selfAudit" }]));
                var id = await SubmitAsync(client);
                await client.SetPolicyAsync();
                app.Time.Advance(TimeSpan.FromMinutes(10));
                return (id, () => app.ReleaseDueAsync());
            }

            case "claim for delivery":
            {
                var id = await SubmitAsync(client);
                return (id, () => app.DeliverDueAsync());
            }

            case "take over an expired lease":
            {
                var id = await SubmitAsync(client);
                Assert.Single(await lifecycle.ClaimDueAsync("dead-worker", Now(), Now() + 60_000, 10));
                app.Time.Advance(TimeSpan.FromMinutes(2));
                return (id, () => app.DeliverDueAsync());
            }

            case "return unstarted claims":
            {
                var id = await SubmitAsync(client);
                Assert.Single(await lifecycle.ClaimDueAsync("stopping-worker", Now(), Now() + 60_000, 10));
                return (id, () => lifecycle.ReturnUnstartedAsync([id], "stopping-worker", Now()));
            }

            case "finish a delivery":
            {
                var id = await SubmitAsync(client);
                Assert.Single(await lifecycle.ClaimDueAsync("worker-a", Now(), Now() + 60_000, 10));
                return (id, () => app.Service<SendGate.Core.Delivery.DeliveryRecorder>().RecordAsync(new DeliveryOutcome(id, "worker-a", MessageStatus.Sent, null, null, [],
                    new NewEvent(MessageEventType.Sent, MessageStatus.Sending, MessageStatus.Sent, "worker:worker-a", "250 ok"), Now())));
            }

            case "leave approval when approved":
            {
                await client.SetInternalDomainsAsync("example.co.jp");
                Ok(await client.PutAsJsonAsync("/v1/approval-routes/default", new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } } }));
                await client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", timeout = "PT4H", onTimeout = "reject" }], new { type = "externalRecipients" }));
                var id = await SubmitAsync(client);
                var events = await (await client.GetAsync($"/v1/messages/{id}/events")).JsonAsync();
                var approvalId = events.GetProperty("items").EnumerateArray().Single(e => e.Str("type") == "message.approval_requested").GetProperty("data").Str("approvalId");
                var boss = app.ClientFor(await app.CreateApproverKeyAsync(Boss));
                await client.SetPolicyAsync();
                return (id, async () => Ok(await boss.PostAsJsonAsync($"/v1/approvals/{approvalId}/approve", new { comment = "ok" })));
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(path), path, null);
        }
    }

    private static async Task<string> SubmitAsync(HttpClient client, params (string, object?)[] fields)
    {
        var response = await client.PostAsJsonAsync("/v1/messages", Mail(fields));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.JsonAsync()).Str("id");
    }

    private static async Task<string> StatusAsync(HttpClient client, string id) =>
        (await (await client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status");

    private static void Ok(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode} {response.Content.ReadAsStringAsync().Result}", null, response.StatusCode);
        }
    }

    /// <summary>The violation's message when the path threw it; null when it ended otherwise (it may have been logged).</summary>
    private static async Task<string?> RefusalAsync(Func<Task> act)
    {
        try
        {
            await act();
            return null;
        }
        catch (LifecycleViolationException violation)
        {
            return violation.Message;
        }
        catch (HttpRequestException refusedOverHttp)
        {
            return refusedOverHttp.Message;
        }
    }
}
