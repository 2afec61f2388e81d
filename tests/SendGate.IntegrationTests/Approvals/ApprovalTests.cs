using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Approvals;

/// <summary>Supervisor approval through the API: routes, levels, any/all, proxies, timeouts, finality, audit.</summary>
public sealed class ApprovalTests : AppWithSmtpTest
{
    private const string Boss = "boss@example.co.jp";
    private const string Head = "head@example.co.jp";
    private const string Deputy = "deputy@example.co.jp";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private async Task RouteAsync(object route, string name = "default")
    {
        var response = await Client.PutAsJsonAsync($"/v1/approval-routes/{name}", route);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task PolicyAsync(object? approval = null, params object[] more) =>
        Client.SetPolicyAsync([Rule("approve", [approval ?? new { type = "requireApproval", timeout = "PT4H", onTimeout = "reject" }], new { type = "externalRecipients" }), .. more]);

    private async Task<(string MessageId, string ApprovalId)> SubmitAsync(params (string, object?)[] fields)
    {
        var response = await Client.PostAsJsonAsync("/v1/messages", Mail(fields));
        var body = await response.JsonAsync();
        Assert.Equal("awaiting_approval", body.Str("status"));
        var events = await (await Client.GetAsync($"/v1/messages/{body.Str("id")}/events")).JsonAsync();
        var requested = events.GetProperty("items").EnumerateArray().Single(e => e.Str("type") == "message.approval_requested");
        return (body.Str("id"), requested.GetProperty("data").Str("approvalId"));
    }

    private async Task<string> StatusAsync(string messageId) => (await (await Client.GetAsync($"/v1/messages/{messageId}")).JsonAsync()).Str("status");

    private static Task<HttpResponseMessage> Decide(HttpClient client, string approvalId, string verb, string? comment = null) =>
        client.PostAsJsonAsync($"/v1/approvals/{approvalId}/{verb}", new { comment });

    [Fact]
    public async Task An_approver_approves_and_the_mail_goes_out()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } } });
        await PolicyAsync();
        var (messageId, approvalId) = await SubmitAsync();
        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));

        var pending = await (await boss.GetAsync("/v1/approvals")).JsonAsync();
        var item = Assert.Single(pending.GetProperty("items").EnumerateArray());
        Assert.Equal(approvalId, item.Str("id"));
        Assert.Equal([Boss], item.GetProperty("currentApprovers").EnumerateArray().Select(a => a.GetString()));
        Assert.True(item.GetProperty("message").GetProperty("recipients")[0].GetProperty("external").GetBoolean());
        Assert.NotEmpty(item.GetProperty("message").GetProperty("reasons").EnumerateArray());

        var approved = await Decide(boss, approvalId, "approve", "確認しました");
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal("approved", (await approved.JsonAsync()).Str("status"));
        Assert.Equal("queued", await StatusAsync(messageId));
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        var details = await (await boss.GetAsync($"/v1/approvals/{approvalId}")).JsonAsync();
        var decision = Assert.Single(details.GetProperty("decisions").EnumerateArray());
        Assert.Equal(Boss, decision.Str("actor"));
        Assert.Equal("api", decision.Str("channel"));
        Assert.Equal("確認しました", decision.Str("comment"));
        Assert.StartsWith("key_", decision.Str("keyId"), StringComparison.Ordinal);
        var events = (await (await Client.GetAsync($"/v1/messages/{messageId}/events")).JsonAsync()).GetProperty("items").EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Contains("message.approved", events);

        var audit = (await (await Client.GetAsync("/v1/audit?action=approve")).JsonAsync()).GetProperty("items")[0];
        Assert.Equal("POST /v1/approvals/{id}/approve", audit.Str("action"));
        Assert.EndsWith($"({Boss})", audit.Str("actor"), StringComparison.Ordinal);
        Assert.Equal("確認しました", audit.Str("detail"));
    }

    [Fact]
    public async Task A_rejection_is_final_and_a_second_decision_is_a_409_naming_who_decided()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss, Head } } } } } });
        await PolicyAsync();
        var (messageId, approvalId) = await SubmitAsync();
        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));
        using var head = App.ClientFor(await App.CreateApproverKeyAsync(Head));

        Assert.Equal(HttpStatusCode.OK, (await Decide(boss, approvalId, "reject", "宛先が違います")).StatusCode);
        Assert.Equal("rejected", await StatusAsync(messageId));
        var again = await (await Decide(head, approvalId, "approve")).ProblemAsync(HttpStatusCode.Conflict, "approval-already-decided");
        Assert.Equal(Boss, again.Str("decidedBy"));
        Assert.Contains(Boss, again.Str("detail"), StringComparison.Ordinal);
        var rejected = (await (await Client.GetAsync($"/v1/messages/{messageId}/events")).JsonAsync()).GetProperty("items").EnumerateArray().Last();
        Assert.Equal("message.rejected", rejected.Str("type"));
        Assert.Contains("宛先が違います", rejected.Str("reason"), StringComparison.Ordinal);
        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
    }

    [Fact]
    public async Task A_wrong_approver_gets_403_and_a_foreign_tenant_404()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } } });
        await PolicyAsync();
        var (_, approvalId) = await SubmitAsync();
        using var stranger = App.ClientFor(await App.CreateApproverKeyAsync("someone@example.co.jp"));
        using var sender = App.ClientFor(await App.CreateKeyAsync("sender"));
        using var other = App.ClientFor(await App.CreateOtherTenantAdminKeyAsync());

        await (await Decide(stranger, approvalId, "approve")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Decide(sender, approvalId, "approve")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await Decide(other, approvalId, "approve")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.GetAsync($"/v1/approvals/{approvalId}")).ProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Empty((await (await stranger.GetAsync("/v1/approvals")).JsonAsync()).GetProperty("items").EnumerateArray());

        // An admin may decide anything in the tenant, on anyone's behalf.
        var byAdmin = await (await Decide(Client, approvalId, "approve", "urgent")).JsonAsync();
        Assert.Equal("admin", byAdmin.GetProperty("decisions")[0].Str("actingAs"));
    }

    private static async Task<(List<string> Ids, string? Next)> PageAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync($"/v1/approvals?{query}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var page = await response.JsonAsync();
        var next = page.GetProperty("nextCursor");
        return (page.GetProperty("items").EnumerateArray().Select(i => i.Str("id")).ToList(), next.ValueKind == JsonValueKind.Null ? null : next.GetString());
    }

    [Fact]
    public async Task The_list_comes_a_page_at_a_time_newest_first()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } } });
        await PolicyAsync();
        var submitted = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            submitted.Add((await SubmitAsync(("subject", $"承認依頼 {i}"))).ApprovalId);
            App.Time.Advance(TimeSpan.FromSeconds(1));
        }

        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));
        foreach (var client in new[] { Client, boss })
        {
            var seen = new List<string>();
            var (ids, next) = await PageAsync(client, "limit=2");
            seen.AddRange(ids);
            Assert.Equal(2, ids.Count);
            (ids, next) = await PageAsync(client, $"limit=2&cursor={next}");
            seen.AddRange(ids);
            Assert.Equal(2, ids.Count);
            (ids, next) = await PageAsync(client, $"limit=2&cursor={next}");
            seen.AddRange(ids);
            Assert.Single(ids);
            Assert.Null(next);
            Assert.Equal(Enumerable.Reverse(submitted), seen);
        }

        await (await Client.GetAsync("/v1/approvals?limit=0")).ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "limit");
        await (await Client.GetAsync("/v1/approvals?cursor=not-ours")).ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "cursor");
    }

    [Fact]
    public async Task An_approver_among_many_others_gets_short_pages_that_go_on_rather_than_a_read_of_everything()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } } });
        await PolicyAsync();
        var (_, mine) = await SubmitAsync();

        // 2,100 newer requests of other approvers, written directly (their messages are not needed to skip them).
        await using (var connection = await App.Service<SendGate.Core.Data.IDbConnectionFactory>().OpenAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "PRAGMA foreign_keys = OFF; CREATE TEMP TABLE copy AS SELECT * FROM approval_requests WHERE id = @mine", new { mine });
            await using var transaction = await connection.BeginTransactionAsync();
            for (var i = 1; i <= 2100; i++)
            {
                await Dapper.SqlMapper.ExecuteAsync(connection, """
                    UPDATE copy SET id = @id, message_id = @id, route_snapshot = REPLACE(route_snapshot, @boss, 'someone@example.co.jp'), created_at = created_at + @i;
                    INSERT INTO approval_requests SELECT * FROM copy;
                    """, new { id = $"apr_other{i}", boss = Boss, i }, transaction);
            }

            await transaction.CommitAsync();
            await Dapper.SqlMapper.ExecuteAsync(connection, "DROP TABLE copy; PRAGMA foreign_keys = ON");
        }

        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));
        var (first, next) = await PageAsync(boss, "limit=50");
        Assert.Empty(first);
        Assert.NotNull(next);
        var (second, end) = await PageAsync(boss, $"limit=50&cursor={next}");
        Assert.Equal([mine], second);
        Assert.Null(end);
    }

    [Fact]
    public async Task An_approver_reads_the_start_of_the_body_before_deciding()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } } });
        await PolicyAsync();
        var letter = "株式会社サンプル\r\n営業部 鈴木様\r\n\r\nいつもお世話になっております。\r\n御見積書をお送りいたします。";
        var (_, plain) = await SubmitAsync(("text", letter));
        var (_, htmlOnly) = await SubmitAsync(("text", null), ("html", "<p>ご確認ください。</p><script>track()</script><div>金額：1,234,000円</div>"));
        var (_, longOne) = await SubmitAsync(("text", string.Concat(Enumerable.Repeat("長い本文😀", 1000))));
        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));
        async Task<string?> PreviewAsync(string approvalId) =>
            (await (await boss.GetAsync($"/v1/approvals/{approvalId}")).JsonAsync()).GetProperty("message").GetProperty("bodyPreview").GetString();

        Assert.Equal(letter.Replace("\r\n", "\n", StringComparison.Ordinal), await PreviewAsync(plain));
        Assert.Equal("ご確認ください。\n\n金額：1,234,000円", (await PreviewAsync(htmlOnly))!.Trim());
        var cut = (await PreviewAsync(longOne))!;
        Assert.EndsWith("…", cut, StringComparison.Ordinal);
        Assert.InRange(cut.Length, 3999, 4001);
        Assert.False(char.IsHighSurrogate(cut[^2]));

        // The list stays light: no previews there.
        var listed = (await (await boss.GetAsync("/v1/approvals")).JsonAsync()).GetProperty("items").EnumerateArray();
        Assert.All(listed, item => Assert.Equal(JsonValueKind.Null, item.GetProperty("message").GetProperty("bodyPreview").ValueKind));
    }

    [Fact]
    public async Task A_decision_body_is_optional_but_read_strictly()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } } });
        await PolicyAsync();
        var (_, approvalId) = await SubmitAsync();
        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));
        var url = $"/v1/approvals/{approvalId}/approve";

        // A misspelt member would lose the comment: refused, like every other body here.
        await (await boss.PostAsync(url, new StringContent("""{"coment":"確認しました"}""", System.Text.Encoding.UTF8, "application/json")))
            .ProblemAsync(HttpStatusCode.BadRequest, "malformed-json");
        await (await boss.PostAsync(url, new StringContent("""{"comment":""", System.Text.Encoding.UTF8, "application/json")))
            .ProblemAsync(HttpStatusCode.BadRequest, "malformed-json");
        await (await boss.PostAsync(url, new StringContent("確認しました", System.Text.Encoding.UTF8, "text/plain")))
            .ProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await (await Decide(boss, approvalId, "approve", new string('長', 2001))).ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "comment");

        // No body at all is a decision without a comment.
        var approved = await (await boss.PostAsync(url, null)).JsonAsync();
        Assert.Equal("approved", approved.Str("status"));
        Assert.True(!approved.GetProperty("decisions")[0].TryGetProperty("comment", out var comment) || comment.ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task All_needs_every_approver_any_needs_one()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss, Head }, mode = "all" } } } } });
        await PolicyAsync();
        var (messageId, approvalId) = await SubmitAsync();
        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));
        using var head = App.ClientFor(await App.CreateApproverKeyAsync(Head));

        var first = await (await Decide(boss, approvalId, "approve")).JsonAsync();
        Assert.Equal("pending", first.Str("status"));
        Assert.Equal("awaiting_approval", await StatusAsync(messageId));
        var second = await (await Decide(head, approvalId, "approve")).JsonAsync();
        Assert.Equal("approved", second.Str("status"));
        Assert.Equal("queued", await StatusAsync(messageId));
    }

    [Fact]
    public async Task One_approver_cannot_count_twice_but_a_proxy_for_two_approves_for_each()
    {
        await RouteAsync(new
        {
            entries = new[] { new { levels = new[] { new { approvers = new[] { Boss, Head }, mode = "all" } } } },
            proxies = new[] { new { approver = Boss, proxy = Deputy }, new { approver = Head, proxy = Deputy } },
        });
        await PolicyAsync();
        var (first, firstApproval) = await SubmitAsync();
        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));
        using var deputy = App.ClientFor(await App.CreateApproverKeyAsync(Deputy));

        Assert.Equal(HttpStatusCode.OK, (await Decide(boss, firstApproval, "approve")).StatusCode);
        var twice = await (await Decide(boss, firstApproval, "approve")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("already approved", twice.Str("detail"), StringComparison.Ordinal);
        Assert.Equal("awaiting_approval", await StatusAsync(first));

        var (second, secondApproval) = await SubmitAsync();
        var forBoss = await (await Decide(deputy, secondApproval, "approve")).JsonAsync();
        Assert.Equal("pending", forBoss.Str("status"));
        var forHead = await (await Decide(deputy, secondApproval, "approve")).JsonAsync();
        Assert.Equal("approved", forHead.Str("status"));
        Assert.Equal([Boss, Head], forHead.GetProperty("decisions").EnumerateArray().Select(d => d.Str("approver")));
        Assert.Equal("queued", await StatusAsync(second));
    }

    [Fact]
    public async Task A_sender_no_entry_covers_is_decided_by_the_fallback_approvers()
    {
        (await Client.PatchAsJsonAsync("/v1/tenant", new { senderGroups = new Dictionary<string, string[]> { ["sales"] = ["@sales.example.co.jp"] } })).EnsureSuccessStatusCode();
        await RouteAsync(new
        {
            entries = new[] { new { senders = new { groups = new[] { "sales" } }, levels = new[] { new { approvers = new[] { Boss } } } } },
            fallbackApprovers = new[] { Head },
        });
        await PolicyAsync(new { type = "requireApproval", timeout = "PT1H", onTimeout = "escalate" });
        var (messageId, approvalId) = await SubmitAsync();
        Assert.Equal([Head], (await (await Client.GetAsync($"/v1/approvals/{approvalId}")).JsonAsync()).GetProperty("currentApprovers").EnumerateArray().Select(a => a.GetString()));

        using var head = App.ClientFor(await App.CreateApproverKeyAsync(Head));
        Assert.Equal(HttpStatusCode.OK, (await Decide(head, approvalId, "approve")).StatusCode);
        Assert.Equal("queued", await StatusAsync(messageId));

        await (await Client.PutAsJsonAsync("/v1/approval-routes/empty-scope", new { entries = new[] { new { senders = new { }, levels = new[] { new { approvers = new[] { Boss } } } } } }))
            .ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "entries[0].senders");
    }

    [Fact]
    public async Task Two_levels_manager_then_department_head()
    {
        await RouteAsync(new { entries = new[] { new { levels = new object[] { new { approvers = new[] { Boss } }, new { approvers = new[] { Head } } } } } });
        await PolicyAsync();
        var (messageId, approvalId) = await SubmitAsync();
        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));
        using var head = App.ClientFor(await App.CreateApproverKeyAsync(Head));

        await (await Decide(head, approvalId, "approve")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        var level1 = await (await Decide(boss, approvalId, "approve")).JsonAsync();
        Assert.Equal(2, level1.GetProperty("level").GetInt32());
        Assert.Equal("awaiting_approval", await StatusAsync(messageId));
        Assert.Equal(HttpStatusCode.OK, (await Decide(head, approvalId, "approve")).StatusCode);
        Assert.Equal("queued", await StatusAsync(messageId));
    }

    [Fact]
    public async Task A_proxy_acts_only_inside_its_date_range()
    {
        await RouteAsync(new
        {
            entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } },
            proxies = new[] { new { approver = Boss, proxy = Deputy, from = SendGateApp.Start.AddDays(1), until = SendGateApp.Start.AddDays(3) } },
        });
        await PolicyAsync(new { type = "requireApproval", timeout = "P5D" });
        var (messageId, approvalId) = await SubmitAsync();
        using var deputy = App.ClientFor(await App.CreateApproverKeyAsync(Deputy));

        await (await Decide(deputy, approvalId, "approve")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        App.Time.Advance(TimeSpan.FromDays(2));
        var approved = await (await Decide(deputy, approvalId, "approve")).JsonAsync();
        var decision = approved.GetProperty("decisions")[0];
        Assert.Equal("proxy", decision.Str("actingAs"));
        Assert.Equal(Boss, decision.Str("approver"));
        Assert.Equal(Deputy, decision.Str("actor"));
        Assert.Equal("queued", await StatusAsync(messageId));
    }

    [Theory]
    [InlineData("reject", "rejected")]
    [InlineData("release", "queued")]
    public async Task Nobody_deciding_in_time_rejects_or_releases_as_the_rule_says(string onTimeout, string status)
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } } });
        await PolicyAsync(new { type = "requireApproval", timeout = "PT4H", onTimeout, reminderBefore = "PT1H" });
        var (messageId, _) = await SubmitAsync();

        App.Time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(1, await App.ProcessApprovalsAsync());
        Assert.Equal("awaiting_approval", await StatusAsync(messageId));
        App.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, await App.ProcessApprovalsAsync());
        Assert.Equal(status, await StatusAsync(messageId));
        var events = (await (await Client.GetAsync($"/v1/messages/{messageId}/events")).JsonAsync()).GetProperty("items").EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Contains("message.approval_reminder", events);
        Assert.Equal("message.approval_timed_out", events[^1]);
    }

    [Fact]
    public async Task Escalation_goes_to_the_next_level_then_the_fallback_then_rejects()
    {
        await RouteAsync(new
        {
            entries = new[] { new { levels = new object[] { new { approvers = new[] { Boss } }, new { approvers = new[] { Head } } } } },
            fallbackApprovers = new[] { "president@example.co.jp" },
        });
        await PolicyAsync(new { type = "requireApproval", timeout = "PT2H", onTimeout = "escalate" });
        var (messageId, approvalId) = await SubmitAsync();
        using var head = App.ClientFor(await App.CreateApproverKeyAsync(Head));
        using var president = App.ClientFor(await App.CreateApproverKeyAsync("president@example.co.jp"));

        App.Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await App.ProcessApprovalsAsync());
        Assert.Equal(2, (await (await head.GetAsync($"/v1/approvals/{approvalId}")).JsonAsync()).GetProperty("level").GetInt32());
        App.Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await App.ProcessApprovalsAsync());
        var atFallback = Assert.Single((await (await president.GetAsync("/v1/approvals")).JsonAsync()).GetProperty("items").EnumerateArray());
        Assert.Equal(["president@example.co.jp"], atFallback.GetProperty("currentApprovers").EnumerateArray().Select(a => a.GetString()));
        App.Time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await App.ProcessApprovalsAsync());
        Assert.Equal("rejected", await StatusAsync(messageId));
        Assert.Equal(2, (await (await Client.GetAsync($"/v1/messages/{messageId}/events")).JsonAsync()).GetProperty("items").EnumerateArray().Count(e => e.Str("type") == "message.approval_escalated"));
    }

    [Fact]
    public async Task The_sender_can_cancel_while_it_awaits_approval()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } } });
        await PolicyAsync();
        var (messageId, approvalId) = await SubmitAsync();
        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));

        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsJsonAsync($"/v1/messages/{messageId}/cancel", new { reason = "wrong customer" })).StatusCode);
        await (await Decide(boss, approvalId, "approve")).ProblemAsync(HttpStatusCode.Conflict, "approval-already-decided");
        Assert.Equal("cancelled", await StatusAsync(messageId));
    }

    [Fact]
    public async Task Approved_then_held_by_another_rule()
    {
        await RouteAsync(new { entries = new[] { new { levels = new[] { new { approvers = new[] { Boss } } } } } });
        await PolicyAsync(null, Rule("hold", [new { type = "hold", duration = "PT10M" }], new { type = "externalRecipients" }));
        var (messageId, approvalId) = await SubmitAsync();
        using var boss = App.ClientFor(await App.CreateApproverKeyAsync(Boss));

        App.Time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(HttpStatusCode.OK, (await Decide(boss, approvalId, "approve")).StatusCode);
        var held = await (await Client.GetAsync($"/v1/messages/{messageId}")).JsonAsync();
        Assert.Equal("held", held.Str("status"));
        Assert.Equal(App.Time.GetUtcNow().AddMinutes(10), held.GetProperty("releaseAt").GetDateTimeOffset());
        App.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, await App.ReleaseDueAsync());
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
    }

    [Fact]
    public async Task Routes_by_sender_and_keys_need_an_approver_identity()
    {
        (await Client.PatchAsJsonAsync("/v1/tenant", new { senderGroups = new Dictionary<string, string[]> { ["sales"] = ["@sales.example.co.jp"] } })).EnsureSuccessStatusCode();
        await RouteAsync(new
        {
            entries = new object[]
            {
                new { senders = new { groups = new[] { "sales" } }, levels = new[] { new { approvers = new[] { Head } } } },
                new { levels = new[] { new { approvers = new[] { Boss } } } },
            },
        });
        await PolicyAsync();
        var (_, salesApproval) = await SubmitAsync(("from", "taro@sales.example.co.jp"));
        var (_, otherApproval) = await SubmitAsync();
        Assert.Equal([Head], (await (await Client.GetAsync($"/v1/approvals/{salesApproval}")).JsonAsync()).GetProperty("currentApprovers").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal([Boss], (await (await Client.GetAsync($"/v1/approvals/{otherApproval}")).JsonAsync()).GetProperty("currentApprovers").EnumerateArray().Select(a => a.GetString()));

        await (await Client.PostAsJsonAsync("/v1/api-keys", new { name = "x", roles = new[] { "approver" } })).ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "approverAddress");
        await (await Client.PutAsJsonAsync("/v1/approval-routes/bad", new { entries = new[] { new { levels = new[] { new { approvers = new[] { "nobody" } } } } } }))
            .ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "entries[0].levels[0].approvers");
        using var sender = App.ClientFor(await App.CreateKeyAsync("sender"));
        await (await sender.GetAsync("/v1/approval-routes")).ProblemAsync(HttpStatusCode.Forbidden, "forbidden");

        // A listed route reads exactly like the route read alone.
        var listed = (await (await Client.GetAsync("/v1/approval-routes")).JsonAsync()).GetProperty("items").EnumerateArray().Single();
        var alone = await (await Client.GetAsync($"/v1/approval-routes/{listed.Str("name")}")).JsonAsync();
        Assert.Equal(alone.GetRawText(), listed.GetRawText());
    }
}
