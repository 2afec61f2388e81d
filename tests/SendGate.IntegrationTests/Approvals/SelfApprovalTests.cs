using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SendGate.Core.Notifications;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Approvals;

/// <summary>Segregation of duties: whoever sends a mail never decides its approval, by key, proxy, link or escalation.</summary>
public sealed class SelfApprovalTests : AppWithSmtpTest
{
    // The address Mail() sends from.
    private const string Sender = "sender@example.co.jp";
    private const string Boss = "boss@example.co.jp";
    private const string Head = "head@example.co.jp";
    private const string Deputy = "deputy@example.co.jp";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["SendGate:Notifications:PublicBaseUrl"] = "https://sendgate.example.co.jp",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private async Task RouteAsync(object route)
    {
        var response = await Client.PutAsJsonAsync("/v1/approval-routes/default", route);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task PolicyAsync(string onTimeout = "reject") =>
        Client.SetPolicyAsync([Rule("approve", [new { type = "requireApproval", timeout = "PT1H", onTimeout }], new { type = "externalRecipients" })]);

    private static object Level(string mode, params string[] approvers) => new { approvers, mode };

    private async Task<(string MessageId, string ApprovalId)> SubmitAsync(HttpContent? mime = null)
    {
        var response = mime is null ? await Client.PostAsJsonAsync("/v1/messages", Mail()) : await Client.PostAsync("/v1/messages", mime);
        var body = await response.JsonAsync();
        Assert.Equal("awaiting_approval", body.Str("status"));
        var requested = (await EventsAsync(body.Str("id"))).Single(e => e.Str("type") == "message.approval_requested");
        return (body.Str("id"), requested.GetProperty("data").Str("approvalId"));
    }

    private async Task<List<JsonElement>> EventsAsync(string messageId) =>
        (await (await Client.GetAsync($"/v1/messages/{messageId}/events")).JsonAsync()).GetProperty("items").EnumerateArray().ToList();

    private async Task<string> StatusAsync(string messageId) => (await (await Client.GetAsync($"/v1/messages/{messageId}")).JsonAsync()).Str("status");

    private async Task<List<JsonElement>> DecisionsAsync(string approvalId) =>
        (await (await Client.GetAsync($"/v1/approvals/{approvalId}")).JsonAsync()).GetProperty("decisions").EnumerateArray().ToList();

    private async Task<List<string>> CurrentApproversAsync(string approvalId) =>
        (await (await Client.GetAsync($"/v1/approvals/{approvalId}")).JsonAsync()).GetProperty("currentApprovers").EnumerateArray().Select(a => a.GetString()!).ToList();

    private static Task<HttpResponseMessage> Decide(HttpClient client, string approvalId, string verb = "approve") =>
        client.PostAsJsonAsync($"/v1/approvals/{approvalId}/{verb}", new { comment = "ok" });

    private bool AskedToApprove(string address) =>
        Smtp.Received.Any(r => r.To.Contains(address) && (r.Parse().TextBody ?? "").Contains("/approve/", StringComparison.Ordinal));

    [Fact]
    public async Task The_sender_on_her_own_route_is_skipped_and_her_approver_key_is_refused_with_a_self_approval_problem()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { Level("any", Sender, Boss) } } } });
        await PolicyAsync();
        var (messageId, approvalId) = await SubmitAsync();

        Assert.Equal([Boss], await CurrentApproversAsync(approvalId));
        var requested = (await EventsAsync(messageId)).Single(e => e.Str("type") == "message.approval_requested");
        Assert.Contains($"not asked, as the mail's sender: {Sender}", requested.Str("reason"), StringComparison.Ordinal);

        Assert.Equal(1, await App.DeliverNotificationsAsync());
        Assert.True(AskedToApprove(Boss));
        Assert.False(AskedToApprove(Sender));

        using var self = App.ClientFor(await App.CreateApproverKeyAsync("Sender@Example.co.jp"));
        Assert.Empty((await (await self.GetAsync("/v1/approvals")).JsonAsync()).GetProperty("items").EnumerateArray());
        foreach (var verb in new[] { "approve", "reject" })
        {
            var problem = await (await Decide(self, approvalId, verb)).ProblemAsync(HttpStatusCode.Forbidden, "self-approval");
            Assert.Contains("segregation of duties", problem.Str("detail"), StringComparison.Ordinal);
        }

        Assert.Equal("awaiting_approval", await StatusAsync(messageId));
        Assert.Empty(await DecisionsAsync(approvalId));

        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));
        Assert.Equal(HttpStatusCode.OK, (await Decide(boss, approvalId)).StatusCode);
        Assert.Equal("queued", await StatusAsync(messageId));
    }

    [Fact]
    public async Task The_header_From_counts_as_the_sender_even_when_someone_else_is_the_envelope_sender()
    {
        const string assistant = "assistant@example.co.jp";
        await RouteAsync(new { entries = new[] { new { levels = new[] { Level("any", assistant, Sender, Boss) } } } });
        await PolicyAsync();
        var mime = new ByteArrayContent(Encoding.UTF8.GetBytes(
            $"From: Sender <{Sender.ToUpperInvariant()}>\r\nSender: {assistant}\r\nTo: to@example.com\r\nSubject: For the boss\r\n\r\nBody text\r\n"));
        mime.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var (messageId, approvalId) = await SubmitAsync(mime);

        Assert.Equal([Boss], await CurrentApproversAsync(approvalId));
        using var self = App.ClientFor(await App.CreateApproverKeyAsync(Sender));
        using var sentBy = App.ClientFor(await App.CreateApproverKeyAsync(assistant));
        await (await Decide(self, approvalId)).ProblemAsync(HttpStatusCode.Forbidden, "self-approval");
        await (await Decide(sentBy, approvalId)).ProblemAsync(HttpStatusCode.Forbidden, "self-approval");
        Assert.Equal("awaiting_approval", await StatusAsync(messageId));
    }

    [Fact]
    public async Task The_sender_cannot_decide_as_a_proxy_and_nobody_decides_as_her_proxy_in_an_all_level()
    {
        await RouteAsync(new
        {
            entries = new[] { new { levels = new[] { Level("all", Sender, Boss, Head) } } },
            proxies = new object[]
            {
                new { approver = Boss, proxy = Sender },
                new { approver = Sender, proxy = Deputy },
            },
        });
        await PolicyAsync();
        var (messageId, approvalId) = await SubmitAsync();
        Assert.Equal([Boss, Head], await CurrentApproversAsync(approvalId));

        using var self = App.ClientFor(await App.CreateApproverKeyAsync(Sender));
        using var deputy = App.ClientFor(await App.CreateApproverKeyAsync(Deputy));
        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));
        using var head = App.ClientFor(await App.CreateApproverKeyAsync(Head));

        // As Boss's proxy she would approve her own mail.
        await (await Decide(self, approvalId)).ProblemAsync(HttpStatusCode.Forbidden, "self-approval");
        // Her deputy would decide in her name.
        await (await Decide(deputy, approvalId)).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Empty(await DecisionsAsync(approvalId));

        // "all" now means everyone but her.
        Assert.Equal(HttpStatusCode.OK, (await Decide(boss, approvalId)).StatusCode);
        Assert.Equal("awaiting_approval", await StatusAsync(messageId));
        Assert.Equal(HttpStatusCode.OK, (await Decide(head, approvalId)).StatusCode);
        Assert.Equal("queued", await StatusAsync(messageId));
        Assert.DoesNotContain(await DecisionsAsync(approvalId), d => d.Str("actor") == Sender || d.Str("actor") == Deputy);
    }

    [Fact]
    public async Task A_link_for_her_own_mail_shows_a_readable_refusal_and_decides_nothing()
    {
        // Levels of her own alone: the next level asks.
        await RouteAsync(new { entries = new[] { new { levels = new[] { Level("any", Sender), Level("any", Boss) } } } });
        await PolicyAsync();
        var (messageId, approvalId) = await SubmitAsync();
        Assert.Equal([Boss], await CurrentApproversAsync(approvalId));
        Assert.Equal(1, await App.DeliverNotificationsAsync());
        Assert.False(AskedToApprove(Sender));

        // A link in her name (as issued before senders were left out of routes).
        var request = (await App.Service<SendGate.Core.Approvals.ApprovalStore>().GetAsync((await TenantIdAsync()), approvalId))!;
        var token = await App.Service<NotificationStore>().CreateTokenAsync(request.Id, request.TenantId, Sender, request.Level, request.DueAt,
            App.Time.GetUtcNow().ToUnixTimeMilliseconds());

        var page = await Client.GetAsync($"/approve/{token}");
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("ご自身のメールは承認できません", html, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"approve\"", html, StringComparison.Ordinal);

        var post = await Client.PostAsync($"/approve/{token}", new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = "approve" }));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Contains("何も決定されていません", await post.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("awaiting_approval", await StatusAsync(messageId));
        Assert.Empty(await DecisionsAsync(approvalId));
        // Not spent either: the answer stays the refusal, not "already used".
        Assert.Equal(HttpStatusCode.Forbidden, (await Client.GetAsync($"/approve/{token}")).StatusCode);
    }

    private async Task<string> TenantIdAsync() => (await (await Client.GetAsync("/v1/tenant")).JsonAsync()).Str("id");

    [Fact]
    public async Task Escalation_skips_her_among_the_fallback_approvers_and_with_only_her_left_nobody_is_left()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { Level("any", Boss) } } }, fallbackApprovers = new[] { Sender, Head } });
        await PolicyAsync("escalate");
        var (messageId, approvalId) = await SubmitAsync();

        App.Time.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(1, await App.ProcessApprovalsAsync());
        Assert.Equal([Head], await CurrentApproversAsync(approvalId));
        await App.DeliverNotificationsAsync();
        Assert.True(AskedToApprove(Head));
        Assert.False(AskedToApprove(Sender));
        var escalated = (await EventsAsync(messageId)).Single(e => e.Str("type") == "message.approval_escalated");
        Assert.DoesNotContain(Sender, escalated.Str("reason"), StringComparison.Ordinal);
        using var self = App.ClientFor(await App.CreateApproverKeyAsync(Sender));
        await (await Decide(self, approvalId)).ProblemAsync(HttpStatusCode.Forbidden, "self-approval");

        // Fallback of her alone: nobody is left to escalate to, as with no fallback at all.
        await RouteAsync(new { entries = new[] { new { levels = new[] { Level("any", Boss) } } }, fallbackApprovers = new[] { Sender } });
        var (second, _) = await SubmitAsync();
        App.Time.Advance(TimeSpan.FromMinutes(61));
        await App.ProcessApprovalsAsync();
        Assert.Equal("rejected", await StatusAsync(second));
        Assert.Contains("nobody left to escalate to", (await EventsAsync(second)).Last().Str("reason"), StringComparison.Ordinal);
        await App.DeliverNotificationsAsync();
        Assert.False(AskedToApprove(Sender));
    }

    [Fact]
    public async Task With_only_her_on_the_route_an_admin_decides_and_her_own_admin_decision_is_recorded_as_such()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { Level("any", Sender) } } } });
        await PolicyAsync();
        var (messageId, approvalId) = await SubmitAsync();
        Assert.Empty(await CurrentApproversAsync(approvalId));
        var requested = (await EventsAsync(messageId)).Single(e => e.Str("type") == "message.approval_requested");
        Assert.Contains("names no approver for this sender; an admin can decide", requested.Str("reason"), StringComparison.Ordinal);
        Assert.Equal(0, await App.DeliverNotificationsAsync());

        using var self = App.ClientFor(await App.CreateApproverKeyAsync(Sender));
        await (await Decide(self, approvalId)).ProblemAsync(HttpStatusCode.Forbidden, "self-approval");

        // An admin who is also the sender may decide, and everything says it was her own mail.
        using var admin = App.Admin();
        var response = await admin.PostAsJsonAsync("/v1/api-keys", new { name = "sender as admin", roles = new[] { "admin", "approver" }, approverAddress = Sender });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var selfAdmin = App.ClientFor((await response.JsonAsync()).Str("key"));
        var decided = await Decide(selfAdmin, approvalId);
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        Assert.Equal("queued", await StatusAsync(messageId));

        var decision = Assert.Single(await DecisionsAsync(approvalId));
        Assert.Equal("admin", decision.Str("actingAs"));
        Assert.True(decision.GetProperty("ownMail").GetBoolean());
        var approved = (await EventsAsync(messageId)).Single(e => e.Str("type") == "message.approved");
        Assert.Contains("(admin, the sender's own mail)", approved.Str("reason"), StringComparison.Ordinal);
        Assert.True(approved.GetProperty("data").GetProperty("ownMail").GetBoolean());
        var audit = (await (await Client.GetAsync("/v1/audit?action=approve")).JsonAsync()).GetProperty("items")[0];
        Assert.Equal("the sender's own mail, decided as admin: ok", audit.Str("detail"));
    }

    [Fact]
    public async Task An_admin_deciding_someone_elses_mail_is_not_marked_as_own_mail()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { Level("any", Boss) } } } });
        await PolicyAsync();
        var (_, approvalId) = await SubmitAsync();
        Assert.Equal(HttpStatusCode.OK, (await Decide(Client, approvalId)).StatusCode);
        Assert.False(Assert.Single(await DecisionsAsync(approvalId)).GetProperty("ownMail").GetBoolean());
    }
}
