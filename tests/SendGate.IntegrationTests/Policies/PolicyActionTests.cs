using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MimeKit;
using SendGate.Core.Messages;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;
using static SendGate.IntegrationTests.Policies.PolicyApi;

namespace SendGate.IntegrationTests.Policies;

/// <summary>What each action does to a real submission, delivered to a real SMTP server, and how actions combine.</summary>
public sealed class PolicyActionTests : AppWithSmtpTest
{
    private static readonly object External = new { type = "externalRecipients" };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Client.SetInternalDomainsAsync("example.co.jp");
    }

    private async Task<HttpResponseMessage> SubmitAsync(params (string, object?)[] fields) => await Client.PostAsJsonAsync("/v1/messages", Mail(fields));

    private async Task<JsonElement> AcceptedAsync(params (string, object?)[] fields)
    {
        var response = await SubmitAsync(fields);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    private async Task<JsonElement> EventsAsync(string id) => (await (await Client.GetAsync($"/v1/messages/{id}/events")).JsonAsync()).GetProperty("items");

    [Fact]
    public async Task Reject_answers_422_naming_the_rule_keeps_the_message_and_sends_nothing()
    {
        await Client.SetPolicyAsync(Rule("no-cards", [new { type = "reject", reason = "カード番号は送信できません (card numbers may not be mailed)" }],
            new { type = "creditCard" }));

        var response = await SubmitAsync(("text", "4111111111111111"));
        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, "policy-rejected");
        Assert.Contains("rule no-cards", problem.Str("detail"), StringComparison.Ordinal);
        Assert.Contains("カード番号は送信できません", problem.Str("detail"), StringComparison.Ordinal);
        Assert.Equal("no-cards", problem.Str("ruleId"));
        var id = problem.Str("messageId");
        Assert.Equal("rejected", problem.GetProperty("decision").Str("status"));

        var stored = await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync();
        Assert.Equal("rejected", stored.Str("status"));
        Assert.Equal("no-cards", stored.GetProperty("decision").GetProperty("rejection").Str("ruleId"));
        var events = await EventsAsync(id);
        Assert.Equal(["message.accepted", "message.rejected"], events.EnumerateArray().Select(e => e.Str("type")));
        Assert.Contains("カード番号", events[1].Str("reason"), StringComparison.Ordinal);

        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        Assert.Empty(Smtp.Received);
        await (await Client.PostAsync($"/v1/messages/{id}/release", null)).ProblemAsync(HttpStatusCode.Conflict, "invalid-transition");
    }

    [Fact]
    public async Task Rejection_is_replayed_for_the_same_idempotency_key()
    {
        await Client.SetPolicyAsync(Rule("no", [new { type = "reject", reason = "no external mail today" }], External));
        var request = () => new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = JsonContent.Create(Mail()), Headers = { { "Idempotency-Key", "order-42" } } };
        var first = await (await Client.SendAsync(request())).ProblemAsync(HttpStatusCode.UnprocessableEntity, "policy-rejected");
        var again = await Client.SendAsync(request());
        var replay = await again.ProblemAsync(HttpStatusCode.UnprocessableEntity, "policy-rejected");
        Assert.Equal(first.Str("messageId"), replay.Str("messageId"));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task Auto_release_hold_sends_at_the_end_unless_cancelled()
    {
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", duration = "PT5M", mode = "autoRelease" }], External));
        var kept = await AcceptedAsync();
        var cancelled = await AcceptedAsync();
        Assert.Equal("held", kept.Str("status"));
        Assert.Equal(SendGateApp.Start.AddMinutes(5), kept.GetProperty("releaseAt").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/v1/messages/{cancelled.Str("id")}/cancel", null)).StatusCode);

        App.Time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, await App.ReleaseDueAsync());
        App.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await App.ReleaseDueAsync());
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Single(Smtp.Received);
        var accepted = (await EventsAsync(kept.Str("id")))[0];
        Assert.Equal("message.accepted", accepted.Str("type"));
        Assert.Equal(["hold"], accepted.GetProperty("data").MatchedRules());
        Assert.Equal("externalRecipients", accepted.GetProperty("data").GetProperty("rules")[0].GetProperty("conditions")[0].Str("type"));
        var held = (await EventsAsync(kept.Str("id")))[1];
        Assert.Equal("message.held", held.Str("type"));
        Assert.Contains("rule 'rule hold'", held.Str("reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Review_hold_waits_for_a_reviewer_or_the_sender()
    {
        await Client.SetPolicyAsync(Rule("review", [new { type = "hold", mode = "review" }], External));
        var message = await AcceptedAsync();
        Assert.Equal("held", message.Str("status"));
        Assert.Equal(JsonValueKind.Null, message.GetProperty("releaseAt").ValueKind);

        App.Time.Advance(TimeSpan.FromDays(3));
        Assert.Equal(0, await App.ReleaseDueAsync());
        var details = await (await Client.GetAsync($"/v1/messages/{message.Str("id")}")).JsonAsync();
        Assert.Equal("review", details.Str("holdMode"));

        using var reviewer = App.ClientFor(await App.CreateKeyAsync("reviewer"));
        Assert.Equal(HttpStatusCode.OK, (await reviewer.PostAsJsonAsync($"/v1/messages/{message.Str("id")}/release", new { reason = "checked the recipients" })).StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
    }

    [Fact]
    public async Task Releasing_a_review_hold_keeps_the_senders_own_send_time()
    {
        await Client.SetPolicyAsync(Rule("review", [new { type = "hold", mode = "review" }], External));
        var sendAt = SendGateApp.Start.AddHours(3);
        var message = await AcceptedAsync(("sendAt", sendAt.ToString("O")));

        var released = await (await Client.PostAsJsonAsync($"/v1/messages/{message.Str("id")}/release", new { reason = "content checked" })).JsonAsync();
        Assert.Equal("held", released.Str("status"));
        Assert.Equal(sendAt, released.GetProperty("releaseAt").GetDateTimeOffset());
        Assert.Equal("autoRelease", released.Str("holdMode"));
        Assert.Contains("content checked", (await EventsAsync(message.Str("id"))).EnumerateArray().Last().Str("reason"), StringComparison.Ordinal);

        App.Time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(1, await App.ReleaseDueAsync());
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
    }

    [Fact]
    public async Task Self_audit_hold_is_discarded_unless_released_before_the_end()
    {
        await Client.SetPolicyAsync(Rule("self", [new { type = "hold", duration = "PT10M", mode = "selfAudit" }], External));
        var ignored = await AcceptedAsync(("subject", "ignored"));
        var confirmed = await AcceptedAsync(("subject", "confirmed"));
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/v1/messages/{confirmed.Str("id")}/release", null)).StatusCode);

        App.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, await App.ReleaseDueAsync());
        var discarded = await (await Client.GetAsync($"/v1/messages/{ignored.Str("id")}")).JsonAsync();
        Assert.Equal("cancelled", discarded.Str("status"));
        Assert.Equal("message.discarded", (await EventsAsync(ignored.Str("id"))).EnumerateArray().Last().Str("type"));

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        Assert.Equal("confirmed", Assert.Single(Smtp.Received).Parse().Subject);
    }

    [Fact]
    public async Task Require_approval_records_the_route_and_timeout()
    {
        await Client.SetPolicyAsync(Rule("approve", [new { type = "requireApproval", route = "sales-managers", timeout = "PT4H", onTimeout = "escalate", reminderBefore = "PT1H" }], External));
        var message = await AcceptedAsync();
        Assert.Equal("awaiting_approval", message.Str("status"));
        var approval = message.GetProperty("decision").GetProperty("approval");
        Assert.Equal("sales-managers", approval.Str("route"));
        Assert.Equal("PT4H", approval.Str("timeout"));
        Assert.Equal("escalate", approval.Str("onTimeout"));
        Assert.Equal("PT1H", approval.Str("reminderBefore"));
        var requested = (await EventsAsync(message.Str("id")))[1];
        Assert.Equal("message.approval_requested", requested.Str("type"));
        Assert.Equal("sales-managers", requested.GetProperty("data").Str("route"));

        Assert.Equal(0, (await App.DeliverDueAsync()).Claimed);
        App.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await App.ReleaseDueAsync());
    }

    [Fact]
    public async Task Encrypt_attachments_records_the_options_and_what_it_applies_to()
    {
        await Client.SetPolicyAsync(Rule("zip", [new { type = "encryptAttachments", method = "aes256", nameEncoding = "cp932", passwordTo = "sender", passwordDelay = "PT10M", splitDelivery = true }], External));
        var encryptedZip = new byte[64];
        "PK\u0003\u0004"u8.CopyTo(encryptedZip);
        encryptedZip[6] = 1;
        var message = await AcceptedAsync(("attachments", new[] { Attachment("見積書.xlsx", new byte[100]), Attachment("already.zip", encryptedZip, "application/zip") }));
        var encryption = message.GetProperty("decision").GetProperty("encryption");
        Assert.Equal("aes256", encryption.Str("method"));
        Assert.Equal("cp932", encryption.Str("nameEncoding"));
        Assert.Equal("sender", encryption.Str("passwordTo"));
        Assert.Equal("PT10M", encryption.Str("passwordDelay"));
        Assert.True(encryption.GetProperty("splitDelivery").GetBoolean());
        Assert.Equal(["見積書.xlsx"], encryption.GetProperty("attachments").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["already.zip"], encryption.GetProperty("alreadyEncryptedAttachments").EnumerateArray().Select(a => a.GetString()));

        var none = await AcceptedAsync();
        Assert.Equal(JsonValueKind.Null, none.GetProperty("decision").GetProperty("encryption").ValueKind);
        Assert.Equal("notApplicable", none.GetProperty("decision").Effect("zip", "encryptAttachments"));
    }

    [Fact]
    public async Task Bcc_conversion_hides_external_recipients_from_each_other_but_keeps_internal_ones()
    {
        await Client.SetPolicyAsync(Rule("bcc", [new { type = "convertToBcc", threshold = 3, replaceTo = "undisclosed" }]));
        var message = await AcceptedAsync(("to", new[] { "a@one.jp", "b@two.jp", "colleague@example.co.jp" }), ("cc", new[] { "c@three.jp" }));
        Assert.Equal(["a@one.jp", "b@two.jp", "c@three.jp"], message.GetProperty("decision").GetProperty("bcc").GetProperty("addresses").EnumerateArray().Select(a => a.GetString()));

        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);
        var received = Assert.Single(Smtp.Received);
        Assert.Equal(["a@one.jp", "b@two.jp", "c@three.jp", "colleague@example.co.jp"], received.To.Order());
        var delivered = received.Parse();
        Assert.Equal(["colleague@example.co.jp"], delivered.To.Mailboxes.Select(m => m.Address));
        Assert.Empty(delivered.Cc);
        Assert.Null(delivered.Headers[HeaderId.Bcc]);

        // Below the threshold nothing moves, and the decision says why.
        var few = await AcceptedAsync(("to", new[] { "a@one.jp", "b@two.jp" }));
        Assert.Equal("notApplicable", few.GetProperty("decision").Effect("bcc", "convertToBcc"));
    }

    [Fact]
    public async Task Bcc_conversion_puts_the_sender_or_undisclosed_recipients_in_an_empty_To()
    {
        await Client.SetPolicyAsync(Rule("bcc", [new { type = "convertToBcc", threshold = 2, replaceTo = "sender" }]));
        await AcceptedAsync(("subject", "to sender"), ("to", new[] { "a@one.jp", "b@two.jp" }));
        await App.DeliverDueAsync();
        var toSender = Smtp.Received.Single().Parse();
        Assert.Equal(["sender@example.co.jp"], toSender.To.Mailboxes.Select(m => m.Address));

        await Client.SetPolicyAsync(Rule("bcc", [new { type = "convertToBcc", threshold = 2 }]));
        await AcceptedAsync(("subject", "undisclosed"), ("to", new[] { "a@one.jp", "b@two.jp" }));
        await App.DeliverDueAsync();
        var undisclosed = Smtp.Received.Last().Parse();
        Assert.Empty(undisclosed.To.Mailboxes);
        var group = Assert.IsType<GroupAddress>(Assert.Single(undisclosed.To));
        Assert.Equal("undisclosed-recipients", group.Name);
        Assert.Empty(group.Members);
    }

    [Fact]
    public async Task Add_header_reaches_the_relay_and_tags_are_kept()
    {
        await Client.SetPolicyAsync(Rule("mark", [new { type = "addHeader", name = "X-SendGate-Checked", value = "external" }, new { type = "tag", tags = new[] { "external", "audit" } }], External));
        var message = await AcceptedAsync();
        Assert.Equal(["external", "audit"], message.GetProperty("decision").GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var details = await (await Client.GetAsync($"/v1/messages/{message.Str("id")}")).JsonAsync();
        Assert.Equal(["external", "audit"], details.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        await AcceptedAsync(("to", new[] { "me@example.co.jp" }));
        var tagged = await (await Client.GetAsync("/v1/messages?tag=audit")).JsonAsync();
        Assert.Equal([message.Str("id")], tagged.GetProperty("items").EnumerateArray().Select(m => m.Str("id")));

        await App.DeliverDueAsync();
        Assert.Equal("external", Smtp.Received.Single(m => m.To.Contains("to@example.com")).Parse().Headers["X-SendGate-Checked"]);
    }

    [Fact]
    public async Task Precedence_reject_beats_approval_beats_hold_and_the_longest_hold_wins()
    {
        object[] Hold(string duration) => [new { type = "hold", duration }];
        object[] approval = [new { type = "requireApproval" }];
        object[] reject = [new { type = "reject", reason = "blocked" }];

        await Client.SetPolicyAsync(Rule("short", Hold("PT5M")), Rule("long", Hold("PT30M")), Rule("medium", Hold("PT10M")));
        var holds = await Client.EvaluateAsync(Mail());
        Assert.Equal("held", holds.Str("status"));
        Assert.Equal(SendGateApp.Start.AddMinutes(30), holds.GetProperty("releaseAt").GetDateTimeOffset());
        Assert.Equal("long", holds.GetProperty("hold").Str("ruleId"));
        Assert.Equal("superseded", holds.Effect("short", "hold"));

        // A review hold has no end: it is the longest of all.
        await Client.SetPolicyAsync(Rule("long", Hold("P1D")), Rule("review", [new { type = "hold", mode = "review" }]));
        Assert.Equal("review", (await Client.EvaluateAsync(Mail())).GetProperty("hold").Str("mode"));

        await Client.SetPolicyAsync(Rule("hold", Hold("PT5M")), Rule("approve", approval), Rule("tag", [new { type = "tag", tags = new[] { "t" } }]));
        var approved = await Client.EvaluateAsync(Mail());
        Assert.Equal("awaiting_approval", approved.Str("status"));
        Assert.True(approved.GetProperty("hold").GetProperty("afterApproval").GetBoolean());
        Assert.Equal("PT5M", approved.GetProperty("hold").Str("duration"));

        await Client.SetPolicyAsync(Rule("hold", Hold("PT5M")), Rule("approve", approval), Rule("bcc", [new { type = "convertToBcc", threshold = 1 }]),
            Rule("tag", [new { type = "tag", tags = new[] { "t" } }]), Rule("reject", reject));
        var rejected = await Client.EvaluateAsync(Mail());
        Assert.Equal("rejected", rejected.Str("status"));
        Assert.Equal("superseded", rejected.Effect("approve", "requireApproval"));
        Assert.Equal("superseded", rejected.Effect("hold", "hold"));
        Assert.Equal("superseded", rejected.Effect("bcc", "convertToBcc"));
        Assert.Equal(["t"], rejected.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.StartsWith("Rejected by rule", Assert.Single(rejected.GetProperty("reasons").EnumerateArray()).GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bcc_conversion_and_encryption_compose_with_a_hold()
    {
        await Client.SetPolicyAsync(
            Rule("hold", [new { type = "hold", duration = "PT5M" }], External),
            Rule("zip", [new { type = "encryptAttachments" }], External, new { type = "attachmentCount", min = 1 }),
            Rule("bcc", [new { type = "convertToBcc", threshold = 2 }]));
        var decision = await Client.EvaluateAsync(Mail(("to", new[] { "a@one.jp", "b@two.jp" }), ("attachments", new[] { Attachment("a.pdf", new byte[10]) })));
        Assert.Equal("held", decision.Str("status"));
        Assert.Equal("zipCrypto", decision.GetProperty("encryption").Str("method"));
        Assert.Equal(2, decision.GetProperty("bcc").GetProperty("addresses").GetArrayLength());
        Assert.Equal(3, decision.GetProperty("reasons").GetArrayLength());
    }

    [Fact]
    public async Task SendAt_lengthens_a_policy_hold_but_never_shortens_it()
    {
        await Client.SetPolicyAsync(Rule("hold", [new { type = "hold", duration = "PT30M" }], External));
        var later = SendGateApp.Start.AddHours(2);
        var lengthened = await AcceptedAsync(("sendAt", later.ToString("O")));
        Assert.Equal(later, lengthened.GetProperty("releaseAt").GetDateTimeOffset());
        Assert.True(lengthened.GetProperty("decision").GetProperty("hold").GetProperty("lengthenedBySendAt").GetBoolean());

        var sooner = await AcceptedAsync(("sendAt", SendGateApp.Start.AddMinutes(1).ToString("O")));
        Assert.Equal(SendGateApp.Start.AddMinutes(30), sooner.GetProperty("releaseAt").GetDateTimeOffset());

        App.Time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(1, await App.ReleaseDueAsync());
        App.Time.Advance(TimeSpan.FromMinutes(90));
        Assert.Equal(1, await App.ReleaseDueAsync());
    }

    [Fact]
    public async Task First_time_and_look_alike_domains_come_from_real_delivery_history()
    {
        await Client.SetPolicyAsync(
            Rule("first", [new { type = "hold", mode = "review" }], new { type = "firstTimeRecipientDomain" }),
            Rule("alike", [new { type = "tag", tags = new[] { "look-alike" } }], new { type = "lookalikeDomain" }));

        // Nothing delivered yet: partner.co.jp is new.
        var first = await AcceptedAsync(("to", new[] { "tanaka@partner.co.jp" }));
        Assert.Equal(["partner.co.jp"], first.GetProperty("decision").Evidence("firstTimeRecipientDomain"));
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync($"/v1/messages/{first.Str("id")}/release", null)).StatusCode);
        Assert.Equal(1, (await App.DeliverDueAsync()).Sent);

        // Once the relay accepted mail for it, it is known; internal domains never count as first-time.
        var known = await Client.EvaluateAsync(Mail(("to", new[] { "suzuki@partner.co.jp", "me@example.co.jp" })));
        Assert.Empty(known.MatchedRules());

        var typo = await Client.EvaluateAsync(Mail(("to", new[] { "tanaka@partner.co.jo" })));
        Assert.Equal(["first", "alike"], typo.MatchedRules());
        Assert.Contains(typo.Evidence("lookalikeDomain"), e => e.StartsWith("partner.co.jo looks like partner.co.jp", StringComparison.Ordinal));

        var homoglyph = await Client.EvaluateAsync(Mail(("to", new[] { "tanaka@partnef.co.jp", "x@examp1e.co.jp" })));
        Assert.Contains(homoglyph.Evidence("lookalikeDomain"), e => e.StartsWith("examp1e.co.jp looks like example.co.jp (homoglyph", StringComparison.Ordinal));

        // A recipient the relay refused does not make its domain known.
        Smtp.RecipientRule = address => address.EndsWith("@refused.jp", StringComparison.Ordinal) ? new SmtpServer.Protocol.SmtpResponse((SmtpServer.Protocol.SmtpReplyCode)550, "5.1.1 no such user") : null;
        await Client.SetPolicyAsync();
        await AcceptedAsync(("to", new[] { "x@refused.jp", "y@partner.co.jp" }));
        await App.DeliverDueAsync();
        await Client.SetPolicyAsync(Rule("first", [new { type = "tag", tags = new[] { "new" } }], new { type = "firstTimeRecipientDomain" }));
        Assert.Equal(["refused.jp"], (await Client.EvaluateAsync(Mail(("to", new[] { "x@refused.jp" }))) ).Evidence("firstTimeRecipientDomain"));
    }
}
